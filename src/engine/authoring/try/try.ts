/**
 * `try`: runs a patch inside a transaction that is always rolled back, and reports what it did
 * statement by statement (locks on relations that existed before, rewrites, index builds, rows,
 * time) and as a whole (the schema difference it made, whether the database now matches the
 * schema files, and what the rollback could not undo).
 *
 * The target is a real database, maybe busy: while the patch's transaction is open nothing slow
 * happens (only catalog reads run inside; the schema files are built on the scratch server after
 * the rollback, and compared then), its statements wait for a table lock no longer than
 * the statement lock timeout (2 s by default, the blocking sessions named, as migrate does), and
 * the time a lock is reported held runs from the start of the statement that took it to the
 * rollback. Nothing commits: a patch that would (a second transaction, CONCURRENTLY, VACUUM) or
 * that calls what no rollback undoes (try/lasting.ts) is refused before anything is sent; a patch's
 * own single BEGIN ... COMMIT runs in try's transaction, its COMMIT never sent. The session's end
 * (Ctrl-C, kill -9) rolls back on the server, which notices a vanished client within seconds
 * thanks to client_connection_check_interval.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { PgpatchError, SqlError, TryRefusedError, type SourceLocation } from '../../../errors';
import type { ScratchChoice, Target } from '../../../target';
import { connect, isServerError, type Session } from '../../db';
import { LockWatcher, type PatchWatch, type StatementLockWaitEvent } from '../../migrate/lock-waits';
import { classify } from '../../parser';
import type { PatchFile } from '../../patches/files';
import { withoutRecord } from '../../schema/check/check';
import { schemaFilesModel } from '../../scratch/build';
import { scratchTarget, type ScratchServerEvent } from '../../scratch/server';
import { compareModels, inspectDatabase, type Difference, type SchemaModel } from '../../schema/inspect/index';
import { majorOf } from '../../schema/inspect/majors';
import { mainOwnerOf } from '../../schema/adopt/render';
import { asLoadedByOwner, loadingFor } from '../../scratch/owner';
import { compileScript, type CompileOptions, type CopyStep, type SqlStep, type Step } from '../../script/compile';
import { runCopy, sqlErrorFor, type ScriptEvent } from '../../script/execute';
import { planTransaction, type TransactionMode, type TransactionPlan } from '../../script/transactions';
import { findLastingCall, movedSequences, sequenceValues, type LastingEffect } from './lasting';
import { blocks, filenodes, heldLocks, LOCK_MODES, lockName, newIndexes, relations, type LockMode, type Relation } from './snapshot';

/** How long a statement of the patch waits for a table lock on the target unless told otherwise: new readers of that table queue behind it meanwhile. */
export const TRY_STATEMENT_LOCK_TIMEOUT_MS = 2000;

/** What a running try says: the patch's notices and echoes, the scratch server used for the schema files, a long lock wait. */
export type TryEvent = ScriptEvent | ScratchServerEvent | StatementLockWaitEvent;

export interface TryOptions {
  target: Target;
  patch: PatchFile;
  compile?: CompileOptions;
  /** The schema files' entry: the database after the patch is compared with what it builds. */
  entry: string;
  /** Where the schema files may be built; without it, the comparison with them is left out. */
  scratch?: ScratchChoice;
  recordSchema?: string;
  /**
   * PostgreSQL's lock_timeout for the patch's statements, in ms (default TRY_STATEMENT_LOCK_TIMEOUT_MS;
   * 0: wait as long as it takes). A longer wait fails the try with StatementLockTimeoutError (exit 5).
   */
  statementLockTimeoutMs?: number;
  onEvent?: (e: TryEvent) => void;
  /**
   * The target is a scratch database that is dropped afterwards (see scratch.ts): a patch that
   * commits may run there, as written, outside the transaction try would otherwise add.
   */
  onScratch?: boolean;
}

export interface TracedLock {
  relation: string;
  mode: LockMode;
  /** `ACCESS EXCLUSIVE` */
  lock: string;
  blocks: Array<'reads' | 'writes' | 'schema changes'>;
  /** From the start of the statement that took it to the rollback that released it. */
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
  /**
   * How it ran: `wrapped` in the transaction try adds; `own` in its own BEGIN, its COMMIT not
   * sent; `none` as written, committing (only on a scratch database).
   */
  transaction: TransactionMode;
  /** The statement lock timeout it ran with, in ms; null: none. */
  statementLockTimeoutMs: number | null;
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
  /** What the rollback left: sequences the patch moved (nextval and setval are not transactional). */
  lasting: LastingEffect[];
  durationMs: number;
}

/**
 * The patch compiled and how try runs it. Throws TryRefusedError for a patch that would commit
 * (unless it goes to a scratch database) or that calls what no rollback undoes: callers can ask
 * this before they start anything.
 */
export async function planTry(patch: PatchFile, compile?: CompileOptions, scratch = false) {
  const compiled = compileScript(patch.path, compile);
  const plan = await planTransaction(patch.name, readFileSync(patch.path, 'utf8'), compiled.steps);
  if (plan.mode === 'none' && !scratch) throw new TryRefusedError(patch.name, plan.reason);
  const lasting = await findLastingCall(compiled.steps);
  if (lasting) throw new TryRefusedError(patch.name, lasting.why, { what: lasting.what, location: lasting.location });
  return { compiled, plan, ...stepsToRun(compiled.steps, plan) };
}

/**
 * What opens the transaction and what runs in it. A patch's own BEGIN opens it (its isolation
 * level kept), before the session settings it may have in front (they then end with the
 * rollback instead of staying on try's session); its final COMMIT is never sent.
 */
function stepsToRun(steps: Step[], plan: TransactionPlan): { begin?: string; run: Step[] } {
  if (plan.mode === 'wrapped') return { begin: 'begin', run: steps };
  if (plan.mode === 'none') return { run: steps };
  // `own`: planTransaction loaded the parser to find the BEGIN.
  const begin = steps.findIndex((s) => s.kind === 'sql' && classify(s.text).includes('begin'));
  const text = (steps[begin] as SqlStep).text;
  return { begin: text, run: steps.filter((_, i) => i !== begin && i !== plan.commitIndex) };
}

export async function tryPatch(options: TryOptions): Promise<TryResult> {
  const { patch } = options;
  const { plan, begin, run } = await planTry(patch, options.compile, options.onScratch);
  const recordSchema = options.recordSchema ?? 'public';
  const lockTimeoutMs = options.statementLockTimeoutMs ?? TRY_STATEMENT_LOCK_TIMEOUT_MS;
  const session = await connect(options.target, { applicationName: 'pgpatch try' });
  session.onNotice((notice) => options.onEvent?.({ type: 'notice', notice }));
  const watcher = new LockWatcher({
    target: options.target,
    pid: session.processId,
    applicationName: 'pgpatch try (lock watch)',
    statementLockTimeoutMs: lockTimeoutMs || undefined,
    onEvent: (e) => options.onEvent?.(e),
  });
  const started = performance.now();
  try {
    // A scratch server of the target's major, opened once the target answers, so that a failed
    // connection starts nothing; before the patch's transaction, as everything slow.
    const major = Math.floor(Number((await session.query('show server_version_num')).rows[0].server_version_num) / 10000);
    const server = options.scratch ? await scratchTarget(options.scratch, options.onEvent, { major }) : undefined;
    // Read before the transaction, in autocommit: the locks these reads take end with them.
    const before = await relations(session);
    const beforeModel = withoutRecord(await inspectDatabase(session, { exclude: [] }), recordSchema);
    const sequences = options.onScratch ? undefined : await sequenceValues(session);
    const watch = watcher.watch(patch.name);
    let traced: Traced;
    let after;
    try {
      // Without a transaction (on a scratch database), locks end with each statement and are not seen.
      if (begin) await session.query(begin);
      // In the transaction, for it alone: a session setting would outlive try on a server
      // connection that a transaction pooler hands to another client. (Unknown before 14.)
      const local = Boolean(begin);
      await session.query(
        `select set_config('client_connection_check_interval', '2s', ${local}) where current_setting('client_connection_check_interval', true) is not null`,
      );
      if (lockTimeoutMs) await session.query(`select set_config('lock_timeout', '${Math.round(lockTimeoutMs)}ms', ${local})`);
      traced = await trace(session, run, before, watch, options.onEvent);
      // A catalog read, inside: after the rollback the patch's changes are gone.
      if (!traced.error) after = withoutRecord(await inspectDatabase(session, { exclude: [] }), recordSchema);
    } finally {
      watch.stop();
      if (begin) await session.query('rollback').catch(() => undefined);
    }
    const released = performance.now();
    for (const held of traced.held) held.lock.heldMs = Math.round(released - held.at);
    const result: TryResult = {
      patch: patch.name,
      database: options.target.display,
      transaction: plan.mode,
      statementLockTimeoutMs: lockTimeoutMs || null,
      statements: traced.statements,
      changes: [],
      hazards: hazardsOf(traced.statements),
      lasting: sequences ? await movedSequences(session, sequences) : [],
      durationMs: 0,
    };
    if (traced.error) result.error = traced.error;
    else if (after) {
      result.changes = compareModels(beforeModel, after, { expected: 'before the patch', actual: 'after the patch' });
      // Built after the rollback, never while the patch's transaction holds its locks on the target.
      // As the role that owns most of the target's objects (scratch/owner.ts).
      if (server) {
        const built = await schemaFilesOf(server, options, mainOwnerOf(beforeModel));
        const differences = compareModels(built, withoutRecord(after, recordSchema, built), {
          expected: 'in the schema files',
          actual: 'after the patch',
        });
        result.schemaFiles = {
          matches: differences.every((d) => d.kind === 'column_order'),
          differences,
          majors: { schemaFiles: majorOf(built), database: majorOf(after) },
        };
      }
    }
    result.durationMs = Math.round(performance.now() - started);
    return result;
  } finally {
    await session.query('rollback').catch(() => undefined);
    await session.end();
    await watcher.close();
  }
}

interface Traced {
  statements: TracedStatement[];
  error?: PgpatchError;
  /** Each lock reported, and when the statement that took it started: held from then to the rollback. */
  held: Array<{ lock: TracedLock; at: number }>;
}

/** The schema files' model, built on the scratch server as `owner` would load them. */
async function schemaFilesOf(server: Target, options: TryOptions, owner: string | undefined): Promise<SchemaModel> {
  const loading = await loadingFor(server, owner);
  const { model } = await schemaFilesModel(server, options.entry, {
    prefix: 'pgpatch_try',
    inspect: { exclude: [] },
    variables: options.compile?.variables,
    loading,
  });
  return withoutRecord(asLoadedByOwner(model, loading), options.recordSchema ?? 'public');
}

async function trace(
  session: Session,
  steps: Step[],
  before: Map<number, Relation>,
  watch: PatchWatch,
  onEvent?: (e: ScriptEvent) => void,
) {
  const statements: TracedStatement[] = [];
  const strongest = new Map<number, LockMode>();
  const held: Traced['held'] = [];
  const file = new Map([...before.values()].map((r) => [r.oid, r.filenode]));
  const seenIndexes = new Set<number>();
  const name = (r: { schema: string; name: string }) => `${r.schema}.${r.name}`;
  let error: PgpatchError | undefined;
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
      if (error instanceof SqlError) error = watch.explainStatement(error);
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
      if (!rel || (had && LOCK_MODES.indexOf(had) >= LOCK_MODES.indexOf(mode))) continue;
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
      strongest.set(oid, mode);
      // Taken somewhere in this statement: counted from its start, an upper bound.
      held.push({ lock, at: t0 });
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
  return { statements, error, held } satisfies Traced;
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
          `${at}: takes an ACCESS EXCLUSIVE lock on ${l.relation}, a table with rows, held ${l.heldMs} ms, until try rolled back: blocks reads, writes, schema changes`,
        );
      }
    }
  }
  return out;
}
