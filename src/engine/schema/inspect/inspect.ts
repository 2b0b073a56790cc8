/**
 * `inspectDatabase`: a database's catalogs as a `SchemaModel`.
 *
 * Read-only: it runs in a READ ONLY transaction (or, inside the caller's transaction, in a
 * savepoint it rolls back), so it is safe on a production database. One snapshot
 * (REPEATABLE READ) for all the queries, so a schema changed meanwhile is seen whole or not at all.
 */
import { EXIT, PgpatchError } from '../../../errors';
import type { Target } from '../../../target';
import { withSession, type Session } from '../../db';
import { buildModel, type CatalogRows } from './build';
import { DEFAULT_EXCLUDE, type Dependency, type DependencyRef, type InspectOptions, type SchemaModel } from './model';
import { catalogQueries, dependenciesQuery, DEPARSE_SETTINGS } from './queries';
import { quoteIdent, quoteQualified } from '../../../quote';

/** Oldest server whose catalogs the queries know (tgparentid came with 13). */
export const MIN_SERVER_VERSION = 130000;

export class UnsupportedServerError extends PgpatchError {
  readonly code = 'unsupported_server';
  readonly exitCode = EXIT.usage;
  constructor(readonly serverVersion: number) {
    super(`inspecting a schema needs PostgreSQL 13 or later; the server is ${serverVersion}`);
  }
}

export async function inspectDatabase(session: Session, options: InspectOptions = {}): Promise<SchemaModel> {
  const exclude = options.exclude ?? DEFAULT_EXCLUDE;
  return inSnapshot(session, async () => {
    const version = Number((await session.query<{ v: string }>(`select current_setting('server_version_num') as v`)).rows[0].v);
    if (version < MIN_SERVER_VERSION) throw new UnsupportedServerError(version);
    const rows: Partial<CatalogRows> = {};
    // One connection runs one query at a time: sending them all at once would not be faster.
    for (const [name, sql] of Object.entries(catalogQueries(version))) {
      rows[name as keyof CatalogRows] = (await session.query(sql)).rows;
    }
    return buildModel(rows as CatalogRows, version, exclude);
  });
}

/**
 * What depends on what between the objects of the database's schema (pg_depend), by their keys
 * in the model: what `adopt` needs to write them in an order that loads. Read-only, like
 * `inspectDatabase`; kept out of the model, which describes a schema, not how it was built.
 */
export async function inspectDependencies(session: Session): Promise<Dependency[]> {
  return inSnapshot(session, async () => {
    const version = Number((await session.query<{ v: string }>(`select current_setting('server_version_num') as v`)).rows[0].v);
    const rows = (await session.query<{ object: RefRow; on: RefRow }>(dependenciesQuery(version))).rows;
    return rows.map((r) => ({ object: dependencyRef(r.object), on: dependencyRef(r.on) }));
  });
}

type RefRow = [DependencyRef['kind'], string, string, string | null];

function dependencyRef([kind, schema, name, args]: RefRow): DependencyRef {
  if (kind === 'extension') return { kind, name: quoteIdent(name) };
  return { kind, name: kind === 'function' ? `${quoteQualified(schema, name)}(${args})` : quoteQualified(schema, name) };
}

/** Runs `fn` read-only, with the deparse settings, leaving the session as it was. */
async function inSnapshot<T>(session: Session, fn: () => Promise<T>): Promise<T> {
  const own = session.transactionStatus() === 'I';
  await session.query(own ? 'begin isolation level repeatable read read only' : 'savepoint pgpatch_inspect');
  const undo = () => session.query(own ? 'rollback' : 'rollback to savepoint pgpatch_inspect; release savepoint pgpatch_inspect');
  let result: T;
  try {
    const names = Object.keys(DEPARSE_SETTINGS);
    await session.query(
      `select ${names.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(', ')}`,
      names.flatMap((n) => [n, DEPARSE_SETTINGS[n]]),
    );
    result = await fn();
  } catch (e) {
    // The first error is the one worth reporting, not a failed clean-up on a broken connection.
    await undo().catch(() => undefined);
    throw e;
  }
  // Also undoes the settings: they were local to the transaction or the savepoint.
  await undo();
  return result;
}

export interface InspectResult {
  model: SchemaModel;
  durationMs: number;
}

/** `pgpatch inspect`: the target's schema model, read in one read-only snapshot. */
export async function inspect(target: Target, options: InspectOptions = {}): Promise<InspectResult> {
  const started = Date.now();
  const model = await withSession(target, (s) => inspectDatabase(s, options));
  return { model, durationMs: Date.now() - started };
}
