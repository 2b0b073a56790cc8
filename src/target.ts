/**
 * A database to work on, resolved once where flags and environment become settings: the
 * connection string read as libpq reads it (with the service file, the PG* variables and the
 * default host), how it is shown to people, and what the pre/post scripts get as PATCH_DSN.
 * Everything downstream receives a Target; only this module reads connection strings, so a
 * run cannot drift to another database half-way (a service file edited during a run changes
 * nothing) and a fleet of targets pays for each string once.
 */
import {
  connectionUriForChild,
  describeConnection,
  resolveConnection,
  withDefaultHost,
  type ConnInfo,
  type ServiceSource,
} from './connection-settings';

export interface Target {
  /** How it was chosen, for messages: "--dsn", "DATABASE_URL", "PG* variables", "--embedded", "scratch" ... */
  readonly source: string;
  /** Every libpq keyword that applies (string, service file, environment, default host): what connect uses. */
  readonly info: Readonly<ConnInfo>;
  /** The service file section that filled some of `info`, when one did. */
  readonly service?: ServiceSource;
  /** For people: a URI with the password masked, and the service file when one was used. */
  readonly display: string;
  /** For the pre/post scripts (PATCH_DSN): with the password; never printed. */
  readonly patchDsn: string;
}

/**
 * The target a connection string (URI or key/value; none: the environment alone) and the
 * environment lead to. Throws ConnectionSettingsError before anything connects.
 */
export function resolveTarget(
  connectionString: string | undefined,
  source = 'connection string',
  env: NodeJS.ProcessEnv = process.env,
): Target {
  const resolved = withDefaultHost(resolveConnection(connectionString, source, env));
  // A URI goes to the scripts as it was given (their client reads the same environment); any
  // other form as the one URI it resolves to, so a client that knows no service file or
  // key/value form still reaches the same database.
  const givenUri = connectionString !== undefined && /^postgres(ql)?:\/\//i.test(connectionString);
  return {
    source,
    info: resolved.info,
    service: resolved.service,
    display: describeConnection(resolved),
    patchDsn: givenUri ? connectionString : connectionUriForChild(resolved.info),
  };
}

/** The target of known connection parameters (the embedded server's), read from no string or environment. */
export function targetOf(info: ConnInfo, source: string): Target {
  return { source, info, display: describeConnection({ info }), patchDsn: connectionUriForChild(info) };
}

/** Another database on the same server, as the same role with the same settings: scratch databases, a fleet's databases. */
export function onDatabase(target: Target, dbname: string, source = target.source): Target {
  const info = { ...target.info, dbname };
  return {
    source,
    info,
    service: target.service,
    display: describeConnection({ info, service: target.service }),
    patchDsn: connectionUriForChild(info),
  };
}

/**
 * A schema of the target's database, as a tenant of a schema-per-tenant fleet: shown with its
 * schema; PATCH_DSN carries `options=-c search_path=...` (`searchPath`, quoted SQL names), so
 * the pre/post scripts of a tenant's patches find its tables as the patches do. The connection
 * itself is unchanged: migrate sets the search_path on its session (a pooler may refuse startup
 * options), see MigrateOptions.tenantSchema.
 */
export function inSchema(target: Target, schema: string, searchPath: string): Target {
  // libpq's options: words split at white space, a backslash keeps the next character.
  const option = `-c search_path=${searchPath.replace(/[\\\s]/g, (c) => `\\${c}`)}`;
  const options = target.info.options ? `${target.info.options} ${option}` : option;
  return {
    ...target,
    display: `${target.display} schema ${schema}`,
    patchDsn: connectionUriForChild({ ...target.info, options }),
  };
}

/** Where scratch databases go: a server the settings name, or the project's embedded server (its folder). */
export type ScratchChoice = { target: Target } | { embedded: string };
