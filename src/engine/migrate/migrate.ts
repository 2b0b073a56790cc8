/**
 * `migrate`: apply pending patches in name order, each with its record, under the lock.
 * Returns what it did; never prints. Questions go to `decide`, progress to `onEvent`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { ConnectionLostError, FileError, PatchFailedError, PatchInvalidError, PatchSetError, PgpatchError, UsageError } from '../../errors';
import { connect, defaultApplicationName, describeTarget, type Session } from '../db';
import { acquireLock, releaseLock } from '../patches/lock';
import { checksumOf, checksumOfBytes } from '../patches/checksums';
import { findPatches, isExecutable, type PatchFile } from '../patches/files';
import { ensureRecord, readRecord, recordExists, writeRecord, writeRecords, type RecordRow } from '../patches/recorder';
import { compileScript, type Step } from '../script/compile';
import { canBatch, executeBatch, executeSteps } from '../script/execute';
import { isDone, patchStates, type PatchStatusRow } from '../patches/status';
import { planTransaction } from '../script/transactions';
import { isEmptyDatabase } from '../patches/emptiness';
import { applyPatch, isConnectionLost } from './apply';
import { commitScript } from '../script/commit';
import type { MigrateEvent, MigrateOptions, MigrateResult, OutcomeStatus, PatchOutcome, Prepared } from './types';

export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const schema = options.recordSchema ?? 'public';
  const emit = options.onEvent ?? (() => undefined);
  const patches = findPatches(options.patchesDir);
  checkNames(patches, [...(options.fake ?? []), ...(options.skip ?? []), ...(options.retry ?? [])]);
  const session = await connect(options.target, { applicationName: options.applicationName ?? defaultApplicationName().replace('pgpatch', 'pgpatch migrate') });
  const result: MigrateResult = {
    database: describeTarget(options.target), recordSchema: schema, dryRun: Boolean(options.dryRun),
    outcomes: [], edited: [], outOfOrder: [], pending: [], quit: false,
  };
  try {
    // A killed client is noticed within seconds even in the middle of a long statement (PostgreSQL 14+).
    await session.query(`set client_connection_check_interval = '2s'`).catch(() => undefined);
    if (options.dryRun) {
      await session.query('set default_transaction_read_only = on');
      await plan(session, patches, schema, options, result);
      return result;
    }
    await acquireLock(session, { timeoutMs: options.lockTimeoutMs ?? 0, onWait: (holders) => emit({ type: 'lock-wait', holders }) });
    try {
      await run(session, patches, schema, options, result, emit);
    } finally {
      await releaseLock(session).catch(() => undefined);
    }
    return result;
  } catch (e) {
    if (e instanceof PgpatchError) throw e;
    if (isConnectionLost(e)) {
      throw new ConnectionLostError(`lost the connection to ${result.database}: ${(e as Error).message}`, { cause: e });
    }
    throw e;
  } finally {
    await session.end();
  }
}


function checkNames(patches: PatchFile[], names: string[]): void {
  const known = new Set(patches.map((p) => p.name));
  const unknown = names.filter((n) => !known.has(n.replace(/\.sql$/, '')));
  if (unknown.length) throw new UsageError(`no such patch: ${unknown.join(', ')}`, { hint: 'showmigrations lists the patches' });
}

/** Index of the last patch to run, from a name or a unique prefix. */
function targetIndex(patches: PatchFile[], upTo: string | undefined): number {
  if (!upTo) return patches.length - 1;
  const name = upTo.replace(/\.sql$/, '');
  const exact = patches.findIndex((p) => p.name === name);
  if (exact >= 0) return exact;
  const matches = patches.filter((p) => p.name.startsWith(name));
  if (matches.length === 1) return patches.indexOf(matches[0]);
  throw new UsageError(matches.length ? `"${upTo}" matches several patches: ${matches.map((m) => m.name).join(', ')}` : `no patch named "${upTo}"`);
}

async function plan(session: Session, patches: PatchFile[], schema: string, options: MigrateOptions, result: MigrateResult): Promise<void> {
  const record = await readRecord(session, schema);
  if (record.size === 0 && !(await recordExists(session, schema))) {
    const empty = await isEmptyDatabase(session);
    result.firstRun = { built: empty, entry: empty ? options.entry : undefined, assumed: patches.length };
    return;
  }
  const rows = patchStates(patches, record, options.checksumCache);
  const byName = new Map(rows.map((r) => [r.name, r]));
  result.edited = rows.filter((r) => r.edited).map((r) => r.name);
  const last = targetIndex(patches, options.upTo);
  for (const [i, p] of patches.entries()) {
    const row = byName.get(p.name)!;
    if (isDone(row.state)) continue;
    if (i > last) { result.pending.push(p.name); continue; }
    if (row.sortsBefore) result.outOfOrder.push({ name: p.name, sortsBefore: row.sortsBefore });
    const prepared = await prepare(p, row, record.get(p.name), options);
    result.outcomes.push({ name: p.name, file: p.relativePath, status: 'would_apply', mode: prepared.plan.mode, reason: prepared.plan.reason, postOnly: prepared.postOnly });
    result.pending.push(p.name);
  }
}


async function prepare(patch: PatchFile, row: PatchStatusRow, recorded: RecordRow | undefined, options: MigrateOptions): Promise<Prepared> {
  const postOnly = row.state === 'pending_post';
  // A script that cannot run is found now, not after the patch it follows has committed.
  for (const script of postOnly ? patch.post : [...patch.pre, ...patch.post]) {
    if (!isExecutable(script)) throw new PatchInvalidError(patch.name, `script ${script} is not executable`, undefined, `chmod +x ${script}`);
  }
  const bytes = readFileSync(patch.path);
  const script = compileScript(patch.path, { variables: options.variables });
  const plan = await planTransaction(patch.name, bytes.toString('utf8'), script.steps);
  return {
    patch, row, checksum: checksumOfBytes(bytes), steps: script.steps, plan, postOnly,
    recorded: recorded ? { status: recorded.status, stage: recorded.stage, statusDate: recorded.statusDate } : null,
  };
}

async function run(session: Session, patches: PatchFile[], schema: string, options: MigrateOptions, result: MigrateResult, emit: (e: MigrateEvent) => void): Promise<void> {
  if (!(await recordExists(session, schema))) {
    const proceed = await firstRun(session, patches, schema, options, result, emit);
    if (!proceed) return;
  } else {
    await ensureRecord(session, schema);
  }
  let record = await readRecord(session, schema);
  for (const name of options.fake ?? []) await markDone(session, schema, patches, name, 'applied', result);
  for (const name of options.skip ?? []) await markDone(session, schema, patches, name, 'skipped', result);
  if (options.fake?.length || options.skip?.length) record = await readRecord(session, schema);

  const rows = patchStates(patches, record, options.checksumCache);
  // By name: a search of the list per patch made a no-op run on 10,000 patches take seconds.
  const byName = new Map(rows.map((r) => [r.name, r]));
  result.edited = rows.filter((r) => r.edited).map((r) => r.name);
  if (options.strict && result.edited.length) {
    throw new PatchSetError(`patches edited after they were applied: ${result.edited.join(', ')}`, result.edited,
      'restore the applied version, or write a new patch for the change');
  }
  const retry = new Set((options.retry ?? []).map((n) => n.replace(/\.sql$/, '')));
  const last = targetIndex(patches, options.upTo);
  // Every patch that will run is read and analysed first: a broken include or a BEGIN without
  // COMMIT in the fifth patch stops the run before the first one is applied.
  const todo: Prepared[] = [];
  for (const [i, p] of patches.entries()) {
    const row = byName.get(p.name)!;
    if (isDone(row.state)) continue;
    if (i > last) { result.pending.push(p.name); continue; }
    if ((row.state === 'failed' || row.state === 'applying') && !retry.has(p.name)) {
      throw new PatchSetError(
        `patch ${p.name} ${row.state === 'failed' ? 'failed' : 'was interrupted'} while running outside a transaction: part of it may have been applied`,
        [p.path],
        `check what it did, then run migrate --fake ${p.name} to mark it applied, or --retry ${p.name} to run it again`,
      );
    }
    if (row.sortsBefore) result.outOfOrder.push({ name: p.name, sortsBefore: row.sortsBefore });
    todo.push(await prepare(p, row, record.get(p.name), options));
  }
  if (options.strict && result.outOfOrder.length) {
    throw new PatchSetError(
      `${result.outOfOrder.length === 1 ? 'a patch sorts' : 'patches sort'} before patches already applied: ${result.outOfOrder.map((o) => `${o.name} (before ${o.sortsBefore})`).join(', ')}`,
      result.outOfOrder.map((o) => patches.find((p) => p.name === o.name)!.path),
      'rename it so that it sorts after the last applied patch (makemigrations names new patches by date), or run without --strict to apply it out of order',
    );
  }
  let askAll = Boolean(options.decide);
  for (const [index, item] of todo.entries()) {
    if (askAll) {
      const d = await options.decide!({ kind: 'patch', patch: item.patch });
      if (d === 'quit') { result.quit = true; result.pending.push(...todo.slice(index).map((t) => t.patch.name)); return; }
      if (d === 'no') { result.outcomes.push(outcome(item, 'declined')); result.pending.push(item.patch.name); continue; }
      if (d === 'skip') {
        await writeRecord(session, schema, { name: item.patch.name, status: 'skipped', checksum: item.checksum });
        result.outcomes.push(outcome(item, 'skipped'));
        continue;
      }
      if (d === 'all') askAll = false;
    }
    emit({ type: 'patch-start', index: index + 1, total: todo.length, name: item.patch.name, mode: item.plan.mode });
    const started = performance.now();
    await applyPatch({ session, schema, target: options.target, database: result.database, decide: askAll ? options.decide : undefined, emit }, item).catch((e: unknown) => {
      // The failure carries what this run did before it, for callers that report it.
      throw e instanceof PatchFailedError ? new PatchFailedError(e.patch, e.stage, e.recorded, result, e.cause) : e;
    });
    const durationMs = Math.round(performance.now() - started);
    result.outcomes.push({ ...outcome(item, 'applied'), durationMs });
    emit({ type: 'patch-done', index: index + 1, total: todo.length, name: item.patch.name, status: 'applied', durationMs });
  }
}

function outcome(item: Prepared, status: OutcomeStatus): PatchOutcome {
  return { name: item.patch.name, file: item.patch.relativePath, status, mode: item.plan.mode, reason: item.plan.reason, postOnly: item.postOnly || undefined };
}

async function markDone(session: Session, schema: string, patches: PatchFile[], name: string, status: 'applied' | 'skipped', result: MigrateResult): Promise<void> {
  const patch = patches.find((p) => p.name === name.replace(/\.sql$/, ''))!;
  await writeRecord(session, schema, { name: patch.name, status, checksum: checksumOf(patch.path) });
  result.outcomes.push({ name: patch.name, file: patch.relativePath, status: status === 'applied' ? 'faked' : 'skipped' });
}

/** The first run on a database without a record: build it if empty, then record every patch as assumed. */
async function firstRun(session: Session, patches: PatchFile[], schema: string, options: MigrateOptions, result: MigrateResult, emit: (e: MigrateEvent) => void): Promise<boolean> {
  const empty = await isEmptyDatabase(session);
  emit({ type: 'first-run', empty, patches: patches.length });
  if (!empty) {
    const ok = options.assumeApplied || (options.confirmBaseline ? await options.confirmBaseline(patches.length) : false);
    if (!ok) {
      throw new UsageError(`${result.database} has objects of its own but no ${schema}.schema_patch record`, {
        hint: `if its schema matches the schema files, record all ${patches.length} patches as already applied with --assume-applied (or answer yes at the prompt)`,
      });
    }
  }
  let steps: Step[] = [];
  let wrapped = true;
  if (empty) {
    if (!existsSync(options.entry)) {
      throw new FileError(options.entry, 'the database is empty and has no record, and the schema entry file to build it from is missing');
    }
    const script = compileScript(options.entry, { variables: options.variables });
    steps = script.steps;
    // Built in one transaction when the schema files allow it: a failed build leaves the database empty.
    wrapped = (await planTransaction('schema', readFileSync(options.entry, 'utf8'), steps)).mode === 'wrapped';
  }
  if (wrapped) await session.query('begin');
  try {
    // Inside one transaction the schema can go as one message, like a patch (up to 1 MB).
    if (empty && wrapped && canBatch(steps)) await executeBatch(session, steps, { onEvent: options.onEvent });
    else if (empty) await executeSteps(session, steps, { onEvent: options.onEvent });
    await ensureRecord(session, schema);
    await writeRecords(session, schema, patches.map((p) => ({ name: p.name, status: 'assumed', checksum: checksumOf(p.path) })));
    if (wrapped) await commitScript(session, options.entry);
  } catch (e) {
    // Unconditionally, as in applyPatch: the status may not be read yet right after an error.
    await session.query('rollback').catch(() => undefined);
    throw e;
  }
  result.firstRun = { built: empty, entry: empty ? options.entry : undefined, assumed: patches.length };
  return true;
}

