/**
 * `check`: do the patches and the schema files describe the same database?
 *
 * Builds two scratch databases and compares their catalogs:
 *   A: the schema files as they are now;
 *   B: the schema files as they were at the base commit, plus the patches added since,
 *      applied by the migrate engine.
 * With a live database instead of B, it reports drift: changes made outside the patches.
 */
import { CheckBuildError, InterruptedError, SqlError } from '../../../errors';
import type { ScratchChoice, Target } from '../../../target';
import { isServerError, withSession } from '../../db';
import { exportBaseTree, type BaseTree } from '../../scratch/base-tree';
import { applyPatches, loadAtBase, loadSchemaFiles } from '../../scratch/build';
import { ScratchDatabases } from '../../scratch/databases';
import { scratchTarget, type ScratchServerEvent } from '../../scratch/server';
import { compareModels, inspectDatabase, type Difference, type SchemaModel } from '../inspect/index';
import { majorOf } from '../inspect/majors';
import { mainOwnerOf } from '../adopt/render';
import { asLoadedByOwner, loadingFor, loadingTarget, type Loading } from '../../scratch/owner';
import type { ScriptEvent } from '../../script/execute';
import { quoteIdent, quoteQualified } from '../../../quote';

export interface CheckOptions {
  /** The project's root: paths of the schema files are taken relative to it in the base tree. */
  projectRoot: string;
  schemaDir: string;
  entry: string;
  patchesDir: string;
  /** Where the tool may create and drop databases: a server, or the embedded one (started when needed). */
  scratch: ScratchChoice;
  /** Compare with this database instead of building B (drift). Read-only. */
  live?: Target;
  /** B starts from the schema files at the merge base of this ref and HEAD (default: main's). */
  baseRef?: string;
  recordSchema?: string;
  variables?: Record<string, string>;
  /** Leave out differences of owner (a live database built by another role). */
  ignoreOwners?: boolean;
  /** Column order differences fail the check too. */
  strict?: boolean;
  onEvent?: (e: CheckEvent) => void;
  /** Aborting drops the scratch databases at once; check then throws InterruptedError. */
  signal?: AbortSignal;
}

export type CheckEvent =
  | ScriptEvent
  /**
   * A scratch database is about to be created and built; `database` is its name on the scratch
   * server, `target` where it is (password masked).
   */
  | { type: 'building'; what: string; database: string; target: string }
  /** A build failed while the other one ran: it is built again, alone, in a new database. */
  | { type: 'retry'; what: string; error: string }
  /** Scratch databases that could not be dropped (the server went away): drop them by hand. */
  | { type: 'leftover'; databases: string[]; error: string }
  /** The embedded server was started for the scratch databases; which one was chosen for the live database's major. */
  | ScratchServerEvent;

export interface CheckResult {
  mode: 'patches' | 'live';
  /** Describes what was compared, for people. */
  expected: string;
  actual: string;
  base?: { ref: string; commit: string; patchesAdded: string[] };
  /**
   * Live mode: the majors of the servers the two sides were read from. When they differ, what
   * only the version makes was left out of the differences (inspect/majors.ts).
   */
  majors?: { schemaFiles: number; live: number };
  differences: Difference[];
  /** Differences that fail the check (column order only with strict). */
  failing: number;
  ok: boolean;
}

interface Built {
  model: SchemaModel;
  base?: CheckResult['base'];
}

export async function check(options: CheckOptions): Promise<CheckResult> {
  const emit = options.onEvent ?? (() => undefined);
  // A live database is read first: its major chooses the scratch server, and the role that owns
  // most of its objects loads the schema files there (scratch/owner.ts).
  const live = options.live ? await readLive(options.live) : undefined;
  const server = await scratchTarget(options.scratch, emit, { major: live && majorOf(live.model) });
  const loading = live && (await loadingFor(server, mainOwnerOf(live.model)));
  const scratch = new ScratchDatabases(server, 'pgpatch_check', (databases, error) => emit({ type: 'leftover', databases, error }));
  const interrupt = () => void scratch.dropAll();
  options.signal?.addEventListener('abort', interrupt, { once: true });
  const tree = options.live ? undefined : await exportBaseTree(options.schemaDir, options.baseRef);
  try {
    if (options.signal?.aborted) throw new InterruptedError('check was interrupted before it built anything');
    const sides = live
      ? { expected: buildFiles(scratch, options, 'files', loading), actual: Promise.resolve(live) }
      : { expected: buildFiles(scratch, options, 'files'), actual: buildPatches(scratch, options, tree!, 'patches') };
    const [ra, rb] = await Promise.allSettled([sides.expected, sides.actual]);
    const again = (r: PromiseSettledResult<Built>, what: string, retry: () => Promise<Built>) =>
      settle(r, { what, retry: options.live ? undefined : retry, scratch, emit });
    const expected = (await again(ra, 'the schema files', () => buildFiles(scratch, options, 'files_again'))).model;
    const other = await again(rb, 'the schema files at the base and the patches since', () =>
      buildPatches(scratch, options, tree!, 'patches_again'),
    );
    return compareSides(options, expected, other, tree);
  } catch (e) {
    if (options.signal?.aborted) throw new InterruptedError('check was interrupted: its scratch databases were dropped', { cause: e });
    throw e;
  } finally {
    options.signal?.removeEventListener('abort', interrupt);
    await scratch.dropAll();
    await tree?.cleanup();
  }
}

/** A: the schema files as they are now; with `loading`, as if loaded by the live database's owner (scratch/owner.ts). */
async function buildFiles(scratch: ScratchDatabases, options: CheckOptions, suffix: string, loading?: Loading): Promise<Built> {
  const what = loading ? `the schema files, as if loaded by ${loading.owner}` : 'the schema files';
  const a = await scratch.create(suffix, (database, target) => options.onEvent?.({ type: 'building', what, database, target }));
  await loadSchemaFiles(loadingTarget(a, loading), options.entry, options);
  return { model: withoutRecord(asLoadedByOwner(await inspect(a), loading), options.recordSchema ?? 'public') };
}

/** B: the schema files at the base commit, plus the patches added since, applied by migrate. */
async function buildPatches(scratch: ScratchDatabases, options: CheckOptions, tree: BaseTree, suffix: string): Promise<Built> {
  const emit = options.onEvent ?? (() => undefined);
  const recordSchema = options.recordSchema ?? 'public';
  const b = await scratch.create(suffix, (database, target) =>
    emit({ type: 'building', what: `the schema files at ${tree.ref} and the patches since`, database, target }),
  );
  await loadAtBase(b, tree, { ...options, recordSchema, onEvent: emit });
  const run = await applyPatches(b, { ...options, onEvent: emit });
  const patchesAdded = run.outcomes.filter((o) => o.status === 'applied').map((o) => o.name);
  return { model: await inspect(b), base: { ref: tree.ref, commit: tree.commit, patchesAdded } };
}

async function readLive(live: Target): Promise<Built> {
  return { model: await inspect(live) };
}

/**
 * A and B are built at the same time, on two connections, and share the server's roles (and
 * tablespaces): schema files that create or alter a role without expecting another loader at the
 * same moment can fail ("tuple concurrently updated", "role already exists") only because the
 * other build ran. So a build that failed with such an error is built again, alone, in a new
 * database, and only a failure of that run is reported. A syntax error or a missing include is
 * not tried twice.
 */
async function settle(
  r: PromiseSettledResult<Built>,
  how: { what: string; retry?: () => Promise<Built>; scratch: ScratchDatabases; emit: (e: CheckEvent) => void },
): Promise<Built> {
  if (r.status === 'fulfilled') return r.value;
  if (how.scratch.stopped || !how.retry || !mayBeConcurrency(r.reason)) throw r.reason;
  how.emit({ type: 'retry', what: how.what, error: firstLine(r.reason) });
  return how.retry();
}

function compareSides(options: CheckOptions, expected: SchemaModel, other: Built, tree?: BaseTree): CheckResult {
  const actual = withoutRecord(other.model, options.recordSchema ?? 'public', expected);
  const labels = { expected: 'in the schema files', actual: options.live ? 'in the live database' : 'after the patches' };
  const differences = compareModels(expected, actual, labels).filter((d) => !(options.ignoreOwners && d.property === 'owner'));
  const failing = differences.filter((d) => options.strict || d.kind !== 'column_order').length;
  return {
    mode: options.live ? 'live' : 'patches',
    ...(options.live ? { majors: { schemaFiles: majorOf(expected), live: majorOf(other.model) } } : {}),
    expected: 'the schema files',
    actual: options.live ? options.live.display : `the schema files at ${tree!.ref} plus the patches since`,
    base: other.base,
    differences,
    failing,
    ok: failing === 0,
  };
}

/**
 * SQLSTATEs that a concurrent build on the same server can cause through the shared catalogs
 * (roles, tablespaces): internal_error ("tuple concurrently updated"), unique_violation and
 * duplicate_object (the same role created twice), undefined_object and
 * dependent_objects_still_exist (a role dropped and created again by the other build), deadlock,
 * serialization and lock failures.
 */
const CONCURRENCY_STATES = new Set(['XX000', '23505', '42710', '42704', '2BP01', '40P01', '40001', '55P03']);

function mayBeConcurrency(e: unknown): boolean {
  for (let x = e; x; x = (x as { cause?: unknown }).cause) {
    if (x instanceof SqlError) return CONCURRENCY_STATES.has(x.server.sqlstate);
    if (isServerError(x)) return CONCURRENCY_STATES.has(x.code ?? '');
  }
  return false;
}

function firstLine(e: unknown): string {
  let x = e;
  // CheckBuildError says which build; its cause says why.
  while (x instanceof CheckBuildError && x.cause) x = x.cause;
  return String((x as Error)?.message ?? x).split('\n')[0];
}

/**
 * inspectDatabase reads in a READ ONLY transaction of its own, which is all a live database
 * needs: nothing is set for the session (through a transaction pooler it would stay on the
 * server connection for the next client). Nothing excluded here: see withoutRecord.
 */
async function inspect(target: Target): Promise<SchemaModel> {
  return withSession(target, (session) => inspectDatabase(session, { exclude: [] }));
}

/**
 * Leaves the record table out of a model: it is pgpatch's, not the schema's. Its schema goes
 * too, on the side compared with the schema files, only when the schema files do not have that
 * schema and nothing else is in it: pgpatch created it for the record (`--record-schema
 * pgpatch`). (inspectDatabase's own `exclude` drops every schema left empty, `public` included,
 * so an empty `public` with the record in it read as "missing after the patches".)
 */
export function withoutRecord(model: SchemaModel, schema: string, files?: SchemaModel): SchemaModel {
  delete model.tables[quoteQualified(schema, 'schema_patch')];
  const key = quoteIdent(schema);
  if (!files || files.schemas[key] || !model.schemas[key]) return model;
  const used =
    [model.tables, model.views, model.sequences, model.functions, model.types, model.collations].some((map) =>
      Object.values(map).some((o) => o.schema === schema),
    ) ||
    Object.values(model.extensions).some((x) => x.schema === schema) ||
    Object.values(model.defaultPrivileges).some((d) => d.schema === schema);
  if (!used) delete model.schemas[key];
  return model;
}
