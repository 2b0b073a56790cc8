/**
 * `try`: runs a patch inside a transaction that is always rolled back, and reports what it did
 * statement by statement (locks on relations that existed before, rewrites, index builds, rows,
 * time) and as a whole (the schema difference it made, and whether the database now matches the
 * schema files). Nothing commits: a patch with transaction control of its own is refused before
 * anything runs; the session's end (Ctrl-C, kill -9) rolls back on the server, which notices a
 * vanished client within seconds thanks to client_connection_check_interval.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { PgpatchError, TryRefusedError, type SourceLocation } from '../../../errors';
import type { ScratchChoice, Target } from '../../../target';
import { connect, isServerError, type Session } from '../../db';
import type { PatchFile } from '../../patches/files';
import { withoutRecord } from '../../schema/check/check';
import { schemaFilesModel } from '../../scratch/build';
import { scratchTarget, type ScratchServerEvent } from '../../scratch/server';
import { compareModels, inspectDatabase, type Difference, type SchemaModel } from '../../schema/inspect/index';
import { majorOf } from '../../schema/inspect/majors';
import { mainOwnerOf } from '../../schema/adopt/render';
import { asLoadedByOwner, loadingFor } from '../../scratch/owner';
import { compileScript, type CompileOptions, type CopyStep, type SqlStep } from '../../script/compile';
import { runCopy, sqlErrorFor, type ScriptEvent } from '../../script/execute';
import { planTransaction } from '../../script/transactions';
import { blocks, filenodes, heldLocks, LOCK_MODES, lockName, newIndexes, relations, type LockMode, type Relation } from './snapshot';

/** What a running try says: the patch's notices and echoes, and the embedded server started for the schema files. */
export type TryEvent = ScriptEvent | ScratchServerEvent;

export interface TryOptions {
  target: Target;
  patch: PatchFile;
  compile?: CompileOptions;
  /** The schema files' entry: the database after the patch is compared with what it builds. */
  entry: string;
  /** Where the schema files may be built; without it, the comparison with them is left out. */
  scratch?: ScratchChoice;
  recordSchema?: string;
  onEvent?: (e: TryEvent) => void;
  /**
   * The target is a scratch database that is dropped afterwards (see scratch.ts): a patch that
   * commits may run there, outside the transaction try would otherwise add.
   */
  onScratch?: boolean;
}

export interface TracedLock {
  relation: string;
  mode: LockMode;
  /** `ACCESS EXCLUSIVE` */
  lock: string;
  blocks: Array<'reads' | 'writes' | 'schema changes'>;
  /** From the end of the statement that took it to the end of the patch. */
  heldMs: number;
  bytes: number;
  /** The table's own data before the patch: 0 when it has no rows. */
  heapBytes: number;
  rows: number | null;
}

export interface TracedStatement {
  location: SourceLocation;
  trace: SourceLocation[];
  /** Its first line, for the report. */
  summary: string;
  /** Rows inserted, updated, deleted, copied or returned; null for DDL. */
  rows: number | null;
  durationMs: number;
  /** Locks taken (or made stronger) by this statement on relations that existed before. */
  locks: TracedLock[];
  /** Relations whose file changed: rewritten, with their size before. */
  rewrites: Array<{ relation: string; bytes: number; rows: number | null }>;
  indexBuilds: Array<{ index: string; table: string; bytes: number; rows: number | null }>;
}

export interface TryResult {
  patch: string;
  database: string;
  /** Set when it ran on a scratch database built for it (then dropped), and how that was built. */
  scratch?: string;
  statements: TracedStatement[];
  /** The error that stopped the patch; everything was rolled back. */
  error?: PgpatchError;
  /** What the patch changed, in check's sentences (empty when it failed). */
  changes: Difference[];
  /**
   * Whether the database after the patch is what the schema files build; absent without a
   * scratch server. `majors`: of the servers the two were read from; when they differ, what only
   * the version makes was left out (inspect/majors.ts).
   */
  schemaFiles?: { matches: boolean; differences: Difference[]; majors: { schemaFiles: number; database: number } };
  /** Hazards observed, in squawk's vocabulary: a rewrite, an ACCESS EXCLUSIVE lock on a table with rows. */
  hazards: string[];
  durationMs: number;
}

/**
 * The patch compiled, and whether try adds the transaction (then rolls it back). Throws
 * TryRefusedError for a patch that would commit, unless it goes to a scratch database: callers
 * can ask this before they start anything.
 */
export async function planTry(patch: PatchFile, compile?: CompileOptions, scratch = false) {
  const compiled = compileScript(patch.path, compile);
  const plan = await planTransaction(patch.name, readFileSync(patch.path, 'utf8'), compiled.steps);
  const inTransaction = plan.mode === 'wrapped';
  if (!inTransaction && !scratch) throw new TryRefusedError(patch.name, plan.mode === 'own' ? 'has its own BEGIN ... COMMIT' : plan.reason);
  return { compiled, inTransaction };
}

export async function tryPatch(options: TryOptions): Promise<TryResult> {
  const { patch } = options;
  const { compiled, inTransaction } = await planTry(patch, options.compile, options.onScratch);
  const recordSchema = options.recordSchema ?? 'public';
  const session = await connect(options.target, { applicationName: 'pgpatch try' });
  let files: Promise<{ m: SchemaModel } | { e: unknown }> | undefined;
  session.onNotice((notice) => options.onEvent?.({ type: 'notice', notice }));
  const started = performance.now();
  try {
    // A scratch server of the target's major, opened once the target answers, so that a failed
    // connection starts nothing.
    const major = Math.floor(Number((await session.query('show server_version_num')).rows[0].server_version_num) / 10000);
    const server = options.scratch ? await scratchTarget(options.scratch, options.onEvent, { major }) : undefined;
    // Without it (on a scratch database), locks end with each statement and are not seen.
    if (inTransaction) await session.query('begin');
    // In the transaction, for it alone: a session setting would outlive try on a server
    // connection that a transaction pooler hands to another client. (Unknown before 14.)
    await session.query(
      `select set_config('client_connection_check_interval', '2s', ${inTransaction}) where current_setting('client_connection_check_interval', true) is not null`,
    );
    const before = await relations(session);
    const beforeModel = withoutRecord(await inspectDatabase(session, { exclude: [] }), recordSchema);
    // Built while the patch runs, in a scratch database of its own, on another connection, as
    // the role that owns most of the target's objects (scratch/owner.ts).
    files = server ? schemaFilesOf(server, options, mainOwnerOf(beforeModel)) : undefined;
    const { statements, error } = await trace(session, compiled.steps, before, options.onEvent);
    const result: TryResult = {
      patch: patch.name,
      database: options.target.display,
      statements,
      changes: [],
      hazards: hazardsOf(statements),
      durationMs: 0,
    };
    if (error) result.error = error;
    else {
      const after = withoutRecord(await inspectDatabase(session, { exclude: [] }), recordSchema);
      result.changes = compareModels(beforeModel, after, { expected: 'before the patch', actual: 'after the patch' });
      const built = await files;
      if (built && 'e' in built) throw built.e;
      if (built) {
        const differences = compareModels(built.m, withoutRecord(after, recordSchema, built.m), {
          expected: 'in the schema files',
          actual: 'after the patch',
        });
        result.schemaFiles = {
          matches: differences.every((d) => d.kind === 'column_order'),
          differences,
          majors: { schemaFiles: majorOf(built.m), database: majorOf(after) },
        };
      }
    }
    result.durationMs = Math.round(performance.now() - started);
    return result;
  } finally {
    await session.query('rollback').catch(() => undefined);
    await session.end();
    await files;
  }
}

function schemaFilesOf(server: Target, options: TryOptions, owner: string | undefined): Promise<{ m: SchemaModel } | { e: unknown }> {
  const recordSchema = options.recordSchema ?? 'public';
  return loadingFor(server, owner)
    .then(async (loading) => {
      const { model } = await schemaFilesModel(server, options.entry, {
        prefix: 'pgpatch_try',
        inspect: { exclude: [] },
        variables: options.compile?.variables,
        loading,
      });
      return asLoadedByOwner(model, loading);
    })
    .then(
      (model) => ({ m: withoutRecord(model, recordSchema) }),
      (e: unknown) => ({ e }),
    );
}

async function trace(
  session: Session,
  steps: ReturnType<typeof compileScript>['steps'],
  before: Map<number, Relation>,
  onEvent?: (e: ScriptEvent) => void,
) {
  const statements: TracedStatement[] = [];
  const strongest = new Map<number, { mode: LockMode; lock: TracedLock; at: number }>();
  const file = new Map([...before.values()].map((r) => [r.oid, r.filenode]));
  const seenIndexes = new Set<number>();
  const name = (r: { schema: string; name: string }) => `${r.schema}.${r.name}`;
  let error: PgpatchError | undefined;
  // Locks try itself holds already (reading the catalogs before the patch may lock a view or a
  // table weakly): not the patch's doing.
  for (const [oid, mode] of await heldLocks(session)) {
    const rel = before.get(oid);
    if (rel)
      strongest.set(oid, {
        mode,
        at: 0,
        lock: {
          relation: name(rel),
          mode,
          lock: lockName(mode),
          blocks: blocks(mode),
          heldMs: 0,
          bytes: rel.bytes,
          heapBytes: rel.heapBytes,
          rows: rel.rows,
        },
      });
  }
  const preHeld = new Set(strongest.keys());
  for (const step of steps) {
    if (step.kind === 'echo') {
      onEvent?.({ type: 'echo', text: step.text, stream: step.stream });
      continue;
    }
    if (step.kind === 'warning') {
      onEvent?.({ type: 'warning', message: step.message, location: step.location });
      continue;
    }
    const location = step.file.locate(step.start);
    const t0 = performance.now();
    let rows: number | null;
    try {
      rows = await runOne(session, step);
    } catch (e) {
      error = e instanceof PgpatchError ? e : undefined;
      if (!error) throw e;
      break;
    }
    const durationMs = Math.round(performance.now() - t0);
    const text = step.kind === 'sql' ? step.text : step.sql;
    const traced: TracedStatement = {
      location,
      trace: step.trace,
      summary: text.split('\n')[0],
      rows,
      durationMs,
      locks: [],
      rewrites: [],
      indexBuilds: [],
    };
    for (const [oid, mode] of await heldLocks(session)) {
      const rel = before.get(oid);
      const had = strongest.get(oid);
      if (!rel || (had && LOCK_MODES.indexOf(had.mode) >= LOCK_MODES.indexOf(mode))) continue;
      const lock: TracedLock = {
        relation: name(rel),
        mode,
        lock: lockName(mode),
        blocks: blocks(mode),
        heldMs: 0,
        bytes: rel.bytes,
        heapBytes: rel.heapBytes,
        rows: rel.rows,
      };
      strongest.set(oid, { mode, lock, at: performance.now() });
      traced.locks.push(lock);
    }
    for (const [oid, node] of await filenodes(session, [...file.keys()])) {
      if (node === file.get(oid)) continue;
      const rel = before.get(oid)!;
      file.set(oid, node);
      if (rel.kind === 'r' || rel.kind === 'm' || rel.kind === 'p')
        traced.rewrites.push({ relation: name(rel), bytes: rel.bytes, rows: rel.rows });
    }
    for (const ix of await newIndexes(session, before, seenIndexes)) {
      seenIndexes.add(ix.oid);
      const table = before.get(ix.table);
      if (table) traced.indexBuilds.push({ index: name(ix), table: name(table), bytes: table.bytes, rows: table.rows });
    }
    statements.push(traced);
  }
  const end = performance.now();
  for (const [oid, s] of strongest) if (!preHeld.has(oid) || s.at) s.lock.heldMs = Math.round(end - s.at);
  return { statements, error };
}

async function runOne(session: Session, step: SqlStep | CopyStep): Promise<number | null> {
  if (step.kind === 'copy') return runCopy(session, step);
  try {
    const r = await session.query(step.text);
    const last = Array.isArray(r) ? r[r.length - 1] : r;
    return last.command === 'SELECT' || /^(INSERT|UPDATE|DELETE|MERGE|COPY)$/.test(last.command ?? '') ? last.rowCount : null;
  } catch (e) {
    if (isServerError(e)) throw sqlErrorFor(e, step);
    throw e;
  }
}

/** What the trace saw that squawk would call a hazard, in its words. */
function hazardsOf(statements: TracedStatement[]): string[] {
  const out: string[] = [];
  for (const s of statements) {
    const at = `${s.location.file}:${s.location.line}`;
    for (const r of s.rewrites)
      out.push(
        `${at}: rewrites ${r.relation} (${r.bytes} bytes) under an ACCESS EXCLUSIVE lock: blocks reads, writes, schema changes while it runs`,
      );
    for (const l of s.locks) {
      if (l.mode === 'AccessExclusiveLock' && l.heapBytes > 0 && !s.rewrites.some((r) => r.relation === l.relation)) {
        out.push(
          `${at}: takes an ACCESS EXCLUSIVE lock on ${l.relation}, a table with rows, held ${l.heldMs} ms until the end of the patch: blocks reads, writes, schema changes`,
        );
      }
    }
  }
  return out;
}
