/**
 * Every error the engine throws on purpose. Each carries data, never formatted text:
 * `output/text.ts` turns it into lines for people, `output/json.ts` into JSON.
 * The CLI maps `exitCode` to the process exit status (see README, "Exit codes").
 */
import { quoteIdent } from './quote';

/** Where something is in a script, after following includes. Lines and columns are 1-based. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export const EXIT = {
  ok: 0,
  /** The question asked (pending patches? differences?) has the answer "yes, something to do". */
  answerNo: 1,
  usage: 2,
  scriptFailed: 3,
  connection: 4,
  lock: 5,
  internal: 70,
  /** Stopped by SIGINT or SIGTERM, after cleaning up (128 + SIGINT, as shells report it). */
  interrupted: 130,
} as const;

export abstract class PgpatchError extends Error {
  /** Stable identifier for scripts and JSON output. */
  abstract readonly code: string;
  abstract readonly exitCode: number;
  /** What the user can do about it, when we know. */
  hint?: string;
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options?.hint;
  }
}

/** Bad flags, names or settings: nothing was touched. */
export class UsageError extends PgpatchError {
  readonly code = 'usage';
  readonly exitCode = EXIT.usage;
}

/**
 * `load` into a database that already has objects of its own or a record of patches, without
 * --force: nothing ran. `examples` names a few of its tables and views.
 */
export class DatabaseNotEmptyError extends PgpatchError {
  readonly code = 'database_not_empty';
  readonly exitCode = EXIT.usage;
  constructor(
    readonly database: string,
    readonly objects: number,
    readonly examples: string[],
    readonly record: boolean,
  ) {
    super(
      `${database} is not empty (${[
        objects
          ? `${objects} object${objects === 1 ? '' : 's'} of its own${examples.length ? `, such as ${examples.join(', ')}` : ''}`
          : '',
        record ? 'a schema_patch record' : '',
      ]
        .filter(Boolean)
        .join('; ')}): load runs the whole file over what is there`,
      {
        hint: 'load into an empty database (or --embedded --fresh); change this one with a patch and migrate; or pass --force if you mean it',
      },
    );
  }
}

/** No database to work on. `ways` lists how one can be given. */
export class NoTargetError extends PgpatchError {
  readonly code = 'no_target';
  readonly exitCode = EXIT.usage;
  constructor(readonly ways: string[]) {
    super('no target database given');
  }
}

/**
 * A connection string, service file or PG* variable that cannot be read, or that asks for
 * something pgpatch cannot do as libpq would: refused before connecting anywhere.
 */
export class ConnectionSettingsError extends PgpatchError {
  readonly code = 'connection_settings';
  readonly exitCode = EXIT.usage;
  /** `where`: "--dsn", "DATABASE_URL", "PGSSLMODE", "service file /path line 3"... */
  constructor(
    readonly where: string,
    readonly reason: string,
    hint?: string,
  ) {
    super(`${where}: ${reason}`, { hint });
  }
}

export class ConnectionError extends PgpatchError {
  readonly code = 'connection';
  readonly exitCode = EXIT.connection;
  /** Connection string with the password masked. */
  constructor(
    readonly target: string,
    readonly reason: string,
    cause?: unknown,
  ) {
    super(`cannot connect to ${target}: ${reason}`, { cause });
  }
}

/** A file that could not be read: an entry script, an include, a patch. */
export class FileError extends PgpatchError {
  readonly code = 'file';
  readonly exitCode = EXIT.scriptFailed;
  constructor(
    readonly path: string,
    readonly reason: string,
    /** The `\i` line that asked for it, when it was included. */
    readonly location?: SourceLocation,
    readonly trace: SourceLocation[] = [],
  ) {
    super(`${reason}: ${path}`);
  }
}

export class IncludeCycleError extends PgpatchError {
  readonly code = 'include_cycle';
  readonly exitCode = EXIT.scriptFailed;
  /** Each `\i` line of the cycle, outermost first; the last one closes the cycle. */
  constructor(
    readonly path: string,
    readonly trace: SourceLocation[],
  ) {
    super(`include cycle: ${path} includes itself`);
  }
}

/** A psql meta-command we do not support or that is malformed. Never silently skipped. */
export class MetaCommandError extends PgpatchError {
  readonly code = 'meta_command';
  readonly exitCode = EXIT.scriptFailed;
  constructor(
    readonly command: string,
    readonly reason: string,
    readonly location: SourceLocation,
    readonly trace: SourceLocation[] = [],
  ) {
    super(`\\${command}: ${reason}`);
  }
}

/** The server refused a statement. Positions are mapped back to the script's files. */
export class SqlError extends PgpatchError {
  readonly code = 'sql';
  readonly exitCode = EXIT.scriptFailed;
  constructor(
    readonly server: ServerMessage,
    /** The statement as sent to the server. */
    readonly statement: string,
    /** Where the statement starts. */
    readonly statementLocation: SourceLocation,
    /** Where the server's error position points, when it gave one. */
    readonly location: SourceLocation | undefined,
    /** Lines of `\i` that led to the file, outermost first. */
    readonly trace: SourceLocation[],
    /** 0-based index into `statement` of the error position, when given. */
    readonly statementOffset: number | undefined,
  ) {
    super(server.message);
  }
}

/** The fields of a PostgreSQL ErrorResponse or NoticeResponse that users care about. */
export interface ServerMessage {
  severity: string;
  sqlstate: string;
  message: string;
  detail?: string;
  hint?: string;
  where?: string;
  schema?: string;
  table?: string;
  column?: string;
  constraint?: string;
}

/** Another run holds the lock on this database. */
export class LockTimeoutError extends PgpatchError {
  readonly code = 'lock_timeout';
  readonly exitCode = EXIT.lock;
  constructor(
    readonly holders: LockHolder[],
    readonly waitedMs: number,
  ) {
    super(`another pgpatch run holds the lock on this database (waited ${waitedMs} ms)`, {
      hint: 'wait for it to finish, or raise --wait-for-run-lock (also spelled --lock-timeout); pg_stat_activity shows what it is doing',
    });
  }
}

export interface LockHolder {
  pid: number;
  applicationName: string;
  user: string;
  clientAddr: string | null;
  backendStart: string;
  state: string | null;
}

/** A pre/post script of a patch failed. */
export class HookScriptError extends PgpatchError {
  readonly code = 'hook_script';
  readonly exitCode = EXIT.scriptFailed;
  constructor(
    readonly script: string,
    readonly exitStatus: number | null,
    readonly signal: string | null,
    reason?: string,
  ) {
    super(
      reason
        ? `script ${script} could not start: ${reason}`
        : signal
          ? `script ${script} was killed by ${signal}`
          : `script ${script} exited with status ${exitStatus}`,
    );
  }
}

/** Patches on disk that disagree with the record or with each other. */
export class PatchSetError extends PgpatchError {
  readonly code = 'patch_set';
  readonly exitCode = EXIT.usage;
  constructor(
    message: string,
    readonly files: string[],
    hint?: string,
  ) {
    super(message, { hint });
  }
}

/** The run was stopped by a signal (Ctrl-C, SIGTERM) and cleaned up after itself. */
export class InterruptedError extends PgpatchError {
  readonly code = 'interrupted';
  readonly exitCode = EXIT.interrupted;
}

/** A patch that cannot be run as written, found before anything ran. */
export class PatchInvalidError extends PgpatchError {
  readonly code = 'patch_invalid';
  readonly exitCode = EXIT.scriptFailed;
  constructor(
    readonly patch: string,
    message: string,
    readonly location?: SourceLocation,
    hint?: string,
  ) {
    super(message, { hint });
  }
}

/**
 * A patch (or its pre/post script) failed. `cause` says why; `result` holds what the run did
 * before, so callers can report the patches that were applied.
 */
export class PatchFailedError extends PgpatchError {
  readonly code = 'patch_failed';
  readonly exitCode: number;
  constructor(
    readonly patch: string,
    readonly stage: 'pre' | 'patch' | 'post',
    /**
     * What the record says now: nothing (rolled back), `failed`, or `applying` (a patch run
     * outside a transaction whose record could not be updated after it: not rolled back).
     */
    readonly recorded: 'nothing' | 'failed' | 'applying',
    readonly result: unknown,
    cause: unknown,
  ) {
    super(`patch ${patch} failed${stage === 'patch' ? '' : ` in its ${stage} script`}`, { cause });
    this.exitCode = cause instanceof PgpatchError ? cause.exitCode : EXIT.scriptFailed;
  }
}

/**
 * `check` could not build one of its scratch databases; `cause` says why (an SqlError or a
 * FileError of a schema file, a PatchFailedError of a patch). Whatever it says, it happened in a
 * throwaway database on the scratch server that check drops: no real database was changed, and
 * a patch's record went with the scratch database. A class of its own, here with the others, so
 * that the renderers can tell a patch that failed inside check from one that failed in migrate
 * without loading the engine or reading messages.
 */
export class CheckBuildError extends PgpatchError {
  readonly code = 'check_build';
  readonly exitCode = EXIT.usage;
  constructor(
    readonly which: string,
    cause: unknown,
  ) {
    super(`could not build ${which}`, { cause });
  }
}

/** The connection broke while working (server restart, network). */
export class ConnectionLostError extends PgpatchError {
  readonly code = 'connection_lost';
  readonly exitCode = EXIT.connection;
}

/** A session that holds a lock a patch statement waits for (from `pg_blocking_pids`). */
export interface BlockingSession {
  pid: number;
  applicationName: string;
  user: string;
  clientAddr: string | null;
  /** active, idle in transaction, ... */
  state: string | null;
  /** When it entered that state. */
  stateSince: string | null;
  /** When its transaction began (null outside one). */
  transactionStart: string | null;
  /** When its current or last query began. */
  queryStart: string | null;
  /** That query, shortened. */
  query: string;
}

/**
 * A patch statement waited for a lock longer than the statement lock timeout
 * (`--statement-lock-timeout`, PostgreSQL's `lock_timeout`), and the server cancelled it.
 * Carried as the cause of the PatchFailedError; `blockers` are the sessions last seen holding
 * the lock (empty when the wait ended before the watch looked).
 */
export class StatementLockTimeoutError extends PgpatchError {
  readonly code = 'statement_lock_timeout';
  readonly exitCode = EXIT.lock;
  constructor(
    readonly timeoutMs: number | undefined,
    readonly blockers: BlockingSession[],
    readonly lock: string | undefined,
    cause: unknown,
  ) {
    super(
      `the statement waited longer than ${timeoutMs === undefined ? 'the lock_timeout its patch set' : `the statement lock timeout (${timeoutMs} ms)`} for ${lock ?? 'a lock'}${
        blockers.length
          ? ` held by ${blockers.map((b) => `pid ${b.pid}${b.applicationName ? ` (${b.applicationName})` : ''}`).join(', ')}`
          : ''
      }`,
      { cause },
    );
  }
}

/**
 * migrate is connected through a pooler that hands each transaction to any server connection
 * (PgBouncer's transaction or statement mode): the run's session advisory lock, and the session
 * each patch expects, would belong to whichever server connection ran that statement.
 */
/** Why each command that refuses a transaction pooler needs one server session. */
const ONE_SESSION_FOR = {
  migrate: 'migrate needs one server session for the whole run (its lock, each patch and its record)',
  load: 'load needs one server session for the whole script (a SET or a transaction of the script reaches the statements after it)',
};

export class TransactionPoolerError extends PgpatchError {
  readonly code = 'transaction_pooler';
  readonly exitCode = EXIT.usage;
  constructor(
    readonly target: string,
    readonly evidence: string,
    readonly command: keyof typeof ONE_SESSION_FOR = 'migrate',
  ) {
    super(`${target} goes through a connection pooler in transaction (or statement) mode: ${evidence}`, {
      hint: `point ${command} at the PostgreSQL server itself (its host and port, not the pooler's), or at a pooler in session mode; ${ONE_SESSION_FOR[command]}`,
    });
  }
}

/**
 * The run lock was lost while a patch ran: the connection that held it ended (a patch that
 * called pg_terminate_backend on it, an administrator, the network), and another run may have
 * started. `rolledBack`: the patch ran in a transaction, which was rolled back; else it ran to
 * its end and is recorded applied.
 */
export class RunLockLostError extends PgpatchError {
  readonly code = 'run_lock_lost';
  readonly exitCode = EXIT.lock;
  constructor(
    readonly patch: string,
    readonly rolledBack: boolean,
  ) {
    super(
      `pgpatch's run lock was lost while patch ${patch} ran (the connection that held it ended), so another run could start: the run stopped${rolledBack ? ' and the patch was rolled back' : ' after it (it ran to its end and is recorded applied)'}`,
      {
        hint: 'pgpatch holds its run lock on a connection of its own, named "... (run lock)" in pg_stat_activity: a patch must not end it, and nothing else should (idle_session_timeout is turned off for it)',
      },
    );
  }
}

/**
 * try runs a patch only inside a transaction it rolls back: a patch that controls transactions
 * (COMMIT) or cannot run in one (CONCURRENTLY, VACUUM) would commit on the target. Refused
 * before anything runs.
 */
export class TryRefusedError extends PgpatchError {
  readonly code = 'try_refused';
  readonly exitCode = EXIT.usage;
  constructor(
    readonly patch: string,
    readonly reason: string,
    /** Set for a statement whose effects no rollback undoes (try/lasting.ts): where it is, and what it is. */
    readonly lasting?: { what: string; location: SourceLocation },
  ) {
    super(
      lasting
        ? `try will not run ${patch}: ${lasting.what} ${reason}, which no rollback undoes`
        : `try will not run ${patch} on the target: it ${reason}, and the target must never see a commit`,
      {
        hint: lasting
          ? 'run it where its effect is wanted (pgpatch migrate), or try the patch without that statement'
          : 'try it on a scratch database built for it and dropped after: pgpatch try --scratch NAME',
      },
    );
  }

  get location(): SourceLocation | undefined {
    return this.lasting?.location;
  }
}

/** Another run recorded the patch while this one was applying it; this run's attempt was undone or never started. */
export class PatchClaimedError extends PgpatchError {
  readonly code = 'patch_claimed';
  readonly exitCode = EXIT.lock;
  constructor(
    readonly patch: string,
    cause?: unknown,
  ) {
    super(`patch ${patch} was recorded by another run while this one was about to record it: this run did not apply it`, {
      cause,
      hint: 'two runs were applying patches at once (the run lock was lost, or another tool wrote the record): see showmigrations, then run migrate again',
    });
  }
}

/**
 * A database (or a tenant's schema) with objects of its own and no record: migrate records its
 * patches as applied only when told so (--assume-applied, or yes at the prompt). Nothing ran.
 */
export class BaselineNeededError extends PgpatchError {
  readonly code = 'baseline_needed';
  readonly exitCode = EXIT.usage;
  constructor(
    readonly database: string,
    readonly recordSchema: string,
    readonly patches: number,
  ) {
    super(`${database} has objects of its own but no ${recordSchema}.schema_patch record`, {
      hint: `if its schema matches the schema files, record all ${patches} patches as already applied with --assume-applied, which compares the two first (or answer yes at the prompt, which shows the differences)`,
    });
  }
}

/**
 * `migrate --assume-applied` on a database without a record that differs from the schema
 * files: nothing was recorded. `differences` are check's (live comparison, owners left out).
 */
export class BaselineMismatchError extends PgpatchError {
  readonly code = 'baseline_mismatch';
  readonly exitCode = EXIT.usage;
  constructor(
    readonly database: string,
    readonly differences: ReadonlyArray<{ kind: string; message: string }>,
    readonly failing: number,
  ) {
    super(
      `${database} differs from the schema files (${failing} difference${failing === 1 ? '' : 's'}): its patches were not recorded as applied`,
      {
        hint: 'make the database match the schema files (or the schema files match it) and run again; or record the patches anyway with --force-baseline',
      },
    );
  }
}

/**
 * The role in use may not read or write the schema_patch record (it belongs to another role,
 * typically the superuser that ran adopt or the first migrate): nothing ran. Not a bug, and not
 * fixed by retrying: the record changes hands, or pgpatch runs as its owner.
 */
export class RecordPermissionError extends PgpatchError {
  readonly code = 'record_permission';
  readonly exitCode = EXIT.usage;
  constructor(
    /** schema.schema_patch */
    readonly record: string,
    /** Its owner, when the role in use may see it. */
    readonly owner: string | null,
    /** current_user. */
    readonly role: string,
    /** What the server said. */
    readonly reason: string,
    cause?: unknown,
  ) {
    super(`pgpatch cannot use its record ${record} as role ${role}: ${reason} (${record} is owned by ${owner ?? 'another role'})`, {
      cause,
      hint: `run pgpatch as the role that owns the schema's objects; if that is ${role}, hand the record over as ${owner ?? 'its owner'} or a superuser: alter table ${record} owner to ${quoteIdent(role)};`,
    });
  }
}

/** `testdb`: the database it would replace was not made by it. */
export class NotATemplateError extends PgpatchError {
  readonly code = 'not_a_template';
  readonly exitCode = EXIT.usage;
  constructor(readonly template: string) {
    super(`${template} exists and was not made by pgpatch testdb: testdb would replace it, so it leaves it alone`, {
      hint: `name another database for the template (--dsn .../${template}_template), or drop this one if it is a leftover`,
    });
  }
}

/** Another testdb run on the same template, or sessions connected to it, did not go away in time. */
export class TemplateBusyError extends PgpatchError {
  readonly code = 'template_busy';
  readonly exitCode = EXIT.lock;
  constructor(
    readonly template: string,
    readonly what: 'run' | 'sessions',
    readonly holders: LockHolder[],
    readonly waitedMs: number,
  ) {
    super(
      what === 'run'
        ? `another pgpatch testdb run is building ${template} (waited ${waitedMs} ms)`
        : `${holders.length} session${holders.length === 1 ? ' is' : 's are'} connected to ${template} (waited ${waitedMs} ms): the new template cannot take its name`,
      { hint: 'run again when they are done, or raise --wait' },
    );
  }
}

/**
 * The embedded server (`--embedded`, the default scratch server) could not be set up or started:
 * `log` has the end of its server log when it got that far; `hint` says what to do.
 */
export class EmbeddedServerError extends PgpatchError {
  readonly code = 'embedded_server';
  readonly exitCode = EXIT.connection;
  constructor(
    message: string,
    readonly log?: string,
    options?: { hint?: string },
  ) {
    super(message, options);
  }
}
