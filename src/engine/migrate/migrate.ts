/**
 * `migrate`: apply pending patches in name order, each with its record, under the lock.
 * Returns what it did; never prints. Questions go to `decide`, progress to `onEvent`.
 * What runs is decided by selectPatches (select.ts), which the plan uses too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { ConnectionLostError, FileError, PatchClaimedError, PatchFailedError, PgpatchError, UsageError } from '../../errors';
import { connect, defaultApplicationName, isConnectionLost, type Session } from '../db';
import { withLock, type RunLock } from '../patches/lock';
import { Checksums } from '../patches/checksums';
import { everyCandidate, scanPatches, type PatchScan } from '../patches/files';
import { recordBaseline } from '../patches/baseline';
import {
  acceptChecksumSql,
  assertRecordWritable,
  BUILD_ROW,
  ensureRecord,
  isRecordConflict,
  readRecord,
  recordColumns,
  recordPermissionError,
  recordTable,
  recordWriteSql,
  type ExpectedRow,
  type RecordRow,
  type RecordWrite,
} from '../patches/recorder';
import { isEmptyDatabase } from '../patches/emptiness';
import type { SentPatch } from './apply';
import type { Step } from '../script/compile';
import { checkNamed, reportStrays, selectPatches, type Acceptance, type CompileContext, type Mark, type Selection } from './select';
import { scriptContext } from '../script/context';
import type { LockWatcher } from './lock-waits';
import { inReadOnlyTransaction, refuseTransactionPooler } from '../patches/pooler';
import type { MigrateEvent, MigrateOptions, MigrateResult, OutcomeStatus, PatchOutcome, Prepared } from './types';

export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const schema = options.recordSchema ?? 'public';
  const emit = options.onEvent ?? (() => undefined);
  const patches = scanPatches(options.patchesDir);
  // A name that means no patch is bad input: refused before anything connects, on a first run too.
  for (const [list, flag] of [
    [options.upTo === undefined ? [] : [options.upTo], undefined],
    [options.fake, '--fake'],
    [options.skip, '--skip'],
    [options.retry, '--retry'],
    [options.acceptChecksum, '--accept-checksum'],
    [options.allowCopy, '--allow-copy'],
  ] as const) {
    for (const name of list ?? []) checkNamed(patches, options.patchesDir, name, flag);
  }
  const applicationName = options.applicationName ?? defaultApplicationName().replace('pgpatch', 'pgpatch migrate');
  const session = await connect(options.target, { applicationName });
  const result: MigrateResult = {
    database: options.target.display,
    recordSchema: schema,
    dryRun: Boolean(options.dryRun),
    outcomes: [],
    edited: [],
    outOfOrder: [],
    pending: [],
    quit: false,
    copies: [],
    notPatches: [],
  };
  try {
    // First: through a transaction pooler even our session settings would reach other clients.
    const backendPid = await refuseTransactionPooler(session, options.target, `${applicationName} (pooler check)`);
    const compile = await scriptContext(session, options.variables);
    if (options.dryRun) {
      await plan(session, patches, schema, options, result, compile);
      return result;
    }
    // A killed client is noticed within seconds even in the middle of a long statement (PostgreSQL 14+).
    const checkInterval = `set client_connection_check_interval = '2s'`;
    const runSettings = await session.query(checkInterval).then(
      () => [checkInterval],
      () => [],
    );
    await withLock(
      session,
      { timeoutMs: options.lockTimeoutMs ?? 0, onWait: (holders) => emit({ type: 'lock-wait', holders }) },
      async (lock) => {
        // Made (and its code loaded) only when there are patches to run: not for a no-op run.
        let watcher: LockWatcher | undefined;
        let watchedPid = backendPid;
        // `pid`: the session's backend, new when a patch made it start over (apply.ts, freshSession).
        const watch = async (pid = watchedPid) => {
          if (watcher && pid !== watchedPid) {
            await watcher.close();
            watcher = undefined;
          }
          watchedPid = pid;
          const { LockWatcher: Watcher } = await import('./lock-waits.js');
          return (watcher ??= new Watcher({
            target: options.target,
            pid,
            applicationName: `${applicationName} (lock watch)`,
            statementLockTimeoutMs: options.statementLockTimeoutMs,
            onEvent: emit,
          }));
        };
        // Before any patch or schema file runs, the lock moves to a connection of its own (patches/lock.ts).
        const keepLockApart = () => lock.keepApart(() => connect(options.target, { applicationName: `${applicationName} (run lock)` }));
        try {
          await run(session, patches, schema, options, result, emit, {
            runSettings,
            compile,
            watcher: watch,
            lock,
            keepLockApart,
            applicationName,
          });
        } finally {
          await watcher?.close();
        }
      },
    );
    return result;
  } catch (e) {
    if (e instanceof PgpatchError) throw e;
    const denied = await recordPermissionError(options.target, schema, e);
    if (denied) throw denied;
    if (isConnectionLost(e)) {
      throw new ConnectionLostError(`lost the connection to ${result.database}: ${(e as Error).message}`, { cause: e });
    }
    throw e;
  } finally {
    await session.end();
  }
}

/**
 * What --plan, --dry-run and --check report: what `run` would do, decided by the same
 * selectPatches, and refused with the same errors.
 */
async function plan(
  session: Session,
  patches: PatchScan,
  schema: string,
  options: MigrateOptions,
  result: MigrateResult,
  compile: CompileContext,
): Promise<void> {
  // Read in one READ ONLY transaction, nothing set for the session (pooler.ts says why), ended
  // before the patches are compiled: no lock on the record is held meanwhile.
  const read = await inReadOnlyTransaction(session, async () => {
    const columns = await recordColumns(session, schema);
    if (columns.size === 0) return { empty: await isEmptyDatabase(session) };
    return readWithChecksums(session, patches, schema, options, compile, columns);
  });
  if ('empty' in read) {
    result.notPatches = reportStrays(patches.strays, options);
    if (!read.empty && !options.assumeApplied) throw baselineNeeded(result.database, schema, patches.patches.length);
    result.firstRun = { built: read.empty, entry: read.empty ? options.entry : undefined, assumed: patches.patches.length };
    return;
  }
  const selection = await selectPatches(patches, read.record, options, compile, read.checksums);
  report(selection, result);
  for (const m of selection.marks) result.outcomes.push(markOutcome(m, true));
  for (const a of selection.accepted) result.outcomes.push(acceptOutcome(a, true));
  for (const item of selection.todo) {
    result.outcomes.push(outcome(item, 'would_apply'));
    result.pending.push(item.patch.name);
  }
}

/** The record read, and the patch files stat'ed meanwhile (Checksums.prefetch: on 2 cores the two overlap). */
async function readWithChecksums(
  session: Session,
  patches: PatchScan,
  schema: string,
  options: MigrateOptions,
  compile: CompileContext,
  columns?: Set<string>,
): Promise<{ record: Map<string, RecordRow>; checksums: Checksums }> {
  const checksums = new Checksums(options.checksumCache, compile);
  const record = await readRecord(session, schema, { whileReading: () => checksums.prefetch(everyCandidate(patches)), columns });
  return { record, checksums };
}

/** readWithChecksums, then selectPatches. */
async function selectWithRecord(
  session: Session,
  patches: PatchScan,
  schema: string,
  options: MigrateOptions,
  compile: CompileContext,
  columns?: Set<string>,
): Promise<Selection> {
  const { record, checksums } = await readWithChecksums(session, patches, schema, options, compile, columns);
  return selectPatches(patches, record, options, compile, checksums);
}

/** What the selection says whether or not anything runs: edited patches, out of order ones, and those beyond the target. */
function report(selection: Selection, result: MigrateResult): void {
  result.edited = selection.edited;
  result.outOfOrder = selection.outOfOrder;
  result.pending.push(...selection.beyond);
  result.copies = selection.copies;
  result.notPatches = selection.notPatches;
}

/** What the run set up before its first patch: settings to restore after each reset, the script context, the lock watch, the run lock. */
interface RunSetup {
  runSettings: string[];
  compile: CompileContext;
  watcher: (pid?: number) => Promise<LockWatcher>;
  lock: RunLock;
  /** Moves the run lock to a connection of its own: before anything of the user's runs. */
  keepLockApart: () => Promise<void>;
  applicationName: string;
}

async function run(
  session: Session,
  patches: PatchScan,
  schema: string,
  options: MigrateOptions,
  result: MigrateResult,
  emit: (e: MigrateEvent) => void,
  { runSettings, compile, watcher, lock, keepLockApart, applicationName }: RunSetup,
): Promise<void> {
  const columns = await recordColumns(session, schema);
  if (columns.size === 0) {
    // Every patch on disk is then recorded as assumed: nothing else to do.
    await firstRun(session, patches, schema, options, result, emit, compile, keepLockApart);
    return;
  }
  // The columns read are the record's still, unless ensureRecord has just added some.
  const upgraded = (await ensureRecord(session, schema, columns)) !== 'present';
  const selection = await selectWithRecord(session, patches, schema, options, compile, upgraded ? undefined : columns);
  report(selection, result);
  if (selection.marks.length || selection.accepted.length || selection.todo.length)
    await assertRecordWritable(session, options.target, schema);
  if (selection.marks.length || selection.accepted.length) {
    await writeMarks(session, schema, selection, result);
    return;
  }
  const { todo } = selection;
  if (todo.length === 0) return;
  // The apply path's code (scripts, hooks, the lock watch) is loaded only when something runs.
  const { applyPatch, sendPatch } = await import('./apply.js');
  await keepLockApart();
  let lockWatcher = await watcher();
  let askAll = Boolean(options.decide);
  // The next patch's message, sent while this one runs (sendPatch): the server goes from one to
  // the next without waiting for this client. Not while each patch is asked about first.
  let ahead: SentPatch | undefined;
  for (const [index, item] of todo.entries()) {
    if (askAll) {
      const d = await options.decide!({ kind: 'patch', patch: item.patch });
      if (d === 'quit') {
        result.quit = true;
        result.pending.push(...todo.slice(index).map((t) => t.patch.name));
        return;
      }
      if (d === 'no') {
        result.outcomes.push(outcome(item, 'declined'));
        result.pending.push(item.patch.name);
        continue;
      }
      if (d === 'skip') {
        await writeMark(session, schema, { name: item.patch.name, status: 'skipped', checksum: item.checksum }, item.recorded);
        result.outcomes.push(outcome(item, 'skipped'));
        continue;
      }
      if (d === 'all') askAll = false;
    }
    emit({ type: 'patch-start', index: index + 1, total: todo.length, name: item.patch.name, mode: item.plan.mode });
    const started = performance.now();
    const watch = lockWatcher.watch(item.patch.name);
    const context = {
      session,
      schema,
      target: options.target,
      database: result.database,
      decide: askAll ? options.decide : undefined,
      emit,
      runSettings,
      statementLockTimeoutMs: options.statementLockTimeoutMs,
      applicationName,
      lockHeldSql: lock.heldSql!,
    };
    const next = askAll ? undefined : todo[index + 1];
    const sent = ahead ?? (next ? sendPatch(context, item) : undefined);
    ahead = sent && next ? sendPatch(context, next, item) : undefined;
    const applied = await applyPatch(context, item, sent)
      .catch((e: unknown) => {
        // The failure carries what this run did before it, for callers that report it, and the
        // sessions a statement waited for when the statement lock timeout fired.
        const failure = e instanceof PatchFailedError ? new PatchFailedError(e.patch, e.stage, e.recorded, result, e.cause) : e;
        throw watch.explain(failure);
      })
      .finally(() => watch.stop());
    if (applied.reconnected) {
      // The patch sent ahead went to the old connection, where its check refused it: sent again in its turn.
      ahead = undefined;
      lockWatcher = await watcher((await session.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0].pid);
    }
    const durationMs = Math.round(performance.now() - started);
    result.outcomes.push({ ...outcome(item, 'applied'), durationMs });
    emit({ type: 'patch-done', index: index + 1, total: todo.length, name: item.patch.name, status: 'applied', durationMs });
  }
}

function outcome(item: Prepared, status: OutcomeStatus): PatchOutcome {
  return {
    name: item.patch.name,
    file: item.patch.relativePath,
    status,
    mode: item.plan.mode,
    reason: item.plan.reason,
    postOnly: item.postOnly || undefined,
    retry: item.retry,
  };
}

function markOutcome(m: Mark, planned: boolean): PatchOutcome {
  const status = m.status === 'applied' ? (planned ? 'would_fake' : 'faked') : planned ? 'would_skip' : 'skipped';
  return { name: m.patch.name, file: m.patch.relativePath, status };
}

function acceptOutcome(a: Acceptance, planned: boolean): PatchOutcome {
  return {
    name: a.patch.name,
    file: a.patch.relativePath,
    status: planned ? 'would_accept' : 'accepted',
    oldChecksum: a.oldChecksum,
    newChecksum: a.newChecksum,
  };
}

/** --fake, --skip and --accept-checksum: record what they name, in one transaction, and run nothing. */
async function writeMarks(session: Session, schema: string, selection: Selection, result: MigrateResult): Promise<void> {
  await session.query('begin');
  try {
    for (const m of selection.marks) {
      await writeMark(session, schema, { name: m.patch.name, status: m.status, checksum: m.checksum }, m.recorded);
      result.outcomes.push(markOutcome(m, false));
    }
    for (const a of selection.accepted) {
      // Only the checksum and when it was accepted: the row keeps when and how the patch was applied.
      try {
        await session.query(acceptChecksumSql(schema, a.patch.name, a.newChecksum, a.recorded!, a.oldChecksum));
      } catch (e) {
        throw isRecordConflict(e) ? new PatchClaimedError(a.patch.name, e) : e;
      }
      result.outcomes.push(acceptOutcome(a, false));
    }
    await session.query('commit');
  } catch (e) {
    await session.query('rollback').catch(() => undefined);
    throw e;
  }
}

/** A record-only write, guarded like a patch's (recordWriteSql): a row another run changed is not overwritten. */
async function writeMark(session: Session, schema: string, row: RecordWrite, expected: ExpectedRow): Promise<void> {
  try {
    await session.query(recordWriteSql(schema, row, expected));
  } catch (e) {
    throw isRecordConflict(e) ? new PatchClaimedError(row.name, e) : e;
  }
}

function baselineNeeded(database: string, schema: string, patches: number): UsageError {
  return new UsageError(`${database} has objects of its own but no ${schema}.schema_patch record`, {
    hint: `if its schema matches the schema files, record all ${patches} patches as already applied with --assume-applied, which compares the two first (or answer yes at the prompt, which shows the differences)`,
  });
}

/** The first run on a database without a record: build it if empty, then record every patch as assumed. */
async function firstRun(
  session: Session,
  scan: PatchScan,
  schema: string,
  options: MigrateOptions,
  result: MigrateResult,
  emit: (e: MigrateEvent) => void,
  compile: CompileContext,
  keepLockApart: () => Promise<void>,
): Promise<void> {
  // The baseline records the patches and nothing else (files.ts): the strays are reported, or refused first.
  result.notPatches = reportStrays(scan.strays, options);
  const patches = scan.patches;
  const empty = await isEmptyDatabase(session);
  emit({ type: 'first-run', empty, patches: patches.length });
  if (!empty) {
    const ok = options.assumeApplied || (options.confirmBaseline ? await options.confirmBaseline(patches.length) : false);
    if (!ok) throw baselineNeeded(result.database, schema, patches.length);
  }
  // The schema files run in this session: the run lock must not be this session's then.
  if (empty) await keepLockApart();
  // The script runtime is loaded here, not for every run: most runs are not first runs.
  const [{ compileScript }, { canBatch, executeBatch, executeSteps }, { planTransaction }, { commitScript }] = await Promise.all([
    import('../script/compile.js'),
    import('../script/execute.js'),
    import('../script/transactions.js'),
    import('../script/commit.js'),
  ]);
  let steps: Step[] = [];
  let wrapped = true;
  if (empty) {
    if (!existsSync(options.entry)) {
      throw new FileError(options.entry, 'the database is empty and has no record, and the schema entry file to build it from is missing');
    }
    const script = compileScript(options.entry, compile);
    steps = script.steps;
    // Built in one transaction when the schema files allow it: a failed build leaves the database empty.
    wrapped = (await planTransaction('schema', readFileSync(options.entry, 'utf8'), steps)).mode === 'wrapped';
  }
  if (!wrapped) {
    await ensureRecord(session, schema);
    await session.query(
      recordWriteSql(
        schema,
        { name: BUILD_ROW, status: 'applying', stage: 'patch', error: `building the database from ${options.entry}` },
        null,
      ),
    );
  }
  if (wrapped) await session.query('begin');
  try {
    // Inside one transaction the schema can go as one message, like a patch (up to 1 MB).
    if (empty && wrapped && canBatch(steps)) await executeBatch(session, steps, { onEvent: options.onEvent });
    else if (empty) await executeSteps(session, steps, { onEvent: options.onEvent });
    if (!wrapped) {
      // The build is done: its row goes in the transaction that records the patches as assumed.
      await session.query('begin');
      await session.query(`delete from ${recordTable(schema)} where name = $1`, [BUILD_ROW]);
    }
    await recordBaseline(session, schema, patches, compile);
    await commitScript(session, options.entry);
  } catch (e) {
    // Unconditionally, as in applyPatch: the status may not be read yet right after an error.
    await session.query('rollback').catch(() => undefined);
    if (!wrapped) {
      await session
        .query(`update ${recordTable(schema)} set status = 'failed', error = $2, status_date = now() where name = $1`, [
          BUILD_ROW,
          (e as Error)?.message ?? String(e),
        ])
        .catch(() => undefined);
    }
    throw e;
  }
  result.firstRun = { built: empty, entry: empty ? options.entry : undefined, assumed: patches.length };
}
