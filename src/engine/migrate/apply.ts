/**
 * Applying one patch: its pre scripts, its SQL in the transaction mode its plan chose (batched
 * into one message when it can be), its record, its post scripts; and what a failure leaves in
 * the record. `migrate.ts` decides what runs; this file runs it.
 */
import { performance } from 'node:perf_hooks';
import { ConnectionLostError, PatchClaimedError, PatchFailedError, PgpatchError, RunLockLostError, SqlError, UsageError } from '../../errors';
import { isServerError, toServerMessage, type DatabaseError, type Session } from '../db';
import { patchDsn, runHook, type HookOutput } from '../patches/hooks';
import { LOCK_CHECK_SQL, LOCK_HELD_SQL, LOCK_LOST_SQLSTATE } from '../patches/lock';
import { isRecordConflict, recordTable, recordWriteSql, type ExpectedRow, type RecordWrite } from '../patches/recorder';
import type { Step } from '../script/compile';
import { endOf, executeInTransaction } from '../script/commit';
import { canBatch, executeBatch, executeSteps, type ExtraStatement } from '../script/execute';
import type { Target } from '../db';
import type { Decision, MigrateEvent, Prepared, Question } from './types';
import { sessionLockTimeout, statementLockTimeout } from './lock-waits';

/** What applying one patch needs of the run. */
export interface ApplyContext {
  session: Session;
  /** Schema of the record table. */
  schema: string;
  target: Target;
  /** The target as shown in messages (password masked). */
  database: string;
  /** Asked before each pre and post script when given. */
  decide?: (q: Question) => Promise<Decision>;
  emit: (e: MigrateEvent) => void;
  /** Settings of the run's own to set again after the reset (see sessionReset). */
  runSettings: string[];
  /** PostgreSQL's lock_timeout for the patch's statements, in ms (see lock-waits.ts). */
  statementLockTimeoutMs?: number;
}

/**
 * Statements that bring the session back to the state a fresh connection has, sent at the start
 * of each patch's message (no round trip of their own): what a patch before it set (search_path,
 * role, statement_timeout, session characteristics), prepared, declared, listened to or created
 * as temporary does not reach the next one, as with one psql per patch. DISCARD ALL would do it
 * but also releases the run lock (pg_advisory_unlock_all), so this is the rest of what it does.
 * RESET ALL leaves role and session authorization alone, hence their own statements. Then the
 * run's own settings (`runSettings`) are set again. In a transaction of their own, committed
 * before the patch's: a transaction that began in the same message would keep the read-only or
 * isolation level the session characteristics gave it when it began.
 */
export function sessionReset(runSettings: string[], patch: string): ExtraStatement[] {
  const onError = (e: DatabaseError) => new UsageError(`could not reset the session before patch ${patch}: ${e.message}`, {
    hint: 'the patch did not run; the statements pgpatch sends are SET SESSION AUTHORIZATION DEFAULT, RESET ROLE, RESET ALL, DEALLOCATE ALL, CLOSE ALL, UNLISTEN *, DISCARD PLANS/TEMP/SEQUENCES',
  });
  return [
    'begin', 'set session authorization default', 'reset role', 'reset all', 'deallocate all', 'close all', 'unlisten *',
    'discard plans', 'discard temp', 'discard sequences', ...runSettings, 'commit',
  ].map((sql) => ({ sql: `${sql};`, onError }));
}

/**
 * Whether an error means the session is gone: the server ended it (FATAL, as for
 * pg_terminate_backend or a shutdown) or the connection broke. Not a fault of the patch.
 */
export function isConnectionLost(e: unknown): boolean {
  if (e instanceof SqlError) return e.server.severity === 'FATAL' || e.server.severity === 'PANIC';
  if (e instanceof PgpatchError) return false;
  if (isServerError(e)) return e.severity === 'FATAL' || e.severity === 'PANIC';
  return /Connection terminated|ECONNRESET|EPIPE|connection error|not queryable/i.test(String((e as Error)?.message));
}

/**
 * Runs one patch with its pre and post scripts and writes its record, each step recorded so
 * that a failure leaves the record saying where it stopped.
 */
export async function applyPatch(context: ApplyContext, item: Prepared): Promise<void> {
  const { session, schema, emit, decide } = context;
  const { patch, plan } = item;
  const dsn = patchDsn(context.target);
  const hookOutput: HookOutput = (stream, chunk, script) => emit({ type: 'hook-output', script, stream, chunk });
  const hasPost = patch.post.length > 0;
  const started = performance.now();
  let stage: 'pre' | 'patch' | 'post' = 'pre';
  let recordedBefore = false;
  const row = new PatchRow(context, item);
  const fail = async (e: unknown): Promise<never> => {
    if (isConnectionLost(e)) throw connectionLostDuring(e);
    // Always: right after an error, the ReadyForQuery that says the transaction status may not
    // have been read yet. A ROLLBACK with no transaction open is only a warning.
    await session.query('rollback').catch(() => undefined);
    // Another run has the patch, or may have: its row is not ours to write.
    if (e instanceof RunLockLostError || e instanceof PatchClaimedError) throw e;
    const message = (e as Error)?.message ?? String(e);
    // A transactional patch that failed was rolled back: it leaves no record (unless pre scripts ran).
    const leaveFailed = stage !== 'patch' || plan.mode === 'none';
    // Outside a transaction nothing is undone: the claim written before it ("applying") stays.
    let recorded: 'nothing' | 'failed' | 'applying' = stage === 'patch' && plan.mode === 'none' && row.claimed ? 'applying' : 'nothing';
    try {
      if (leaveFailed) {
        await row.write({ status: 'failed', stage, error: message });
        recorded = 'failed';
      } else if (recordedBefore) {
        await session.query(`delete from ${recordTable(schema)} where name = $1 and status = 'applying' and stage = 'pre'`, [patch.name]);
      }
    } catch {
      // The connection may be gone: the record then says what it said before.
    }
    throw new PatchFailedError(patch.name, stage, recorded, undefined, e);
  };
  // The session is gone, so the record cannot be updated: say what it says, and what the server did.
  const connectionLostDuring = (e: unknown): ConnectionLostError => {
    const why = e instanceof SqlError ? `${e.server.severity}:  ${e.server.message}` : (e as Error)?.message ?? String(e);
    const hint = stage === 'post'
      ? `the patch itself was committed; its record says "applying" (stage post): the next migrate runs only its post scripts`
      : stage === 'pre'
        ? 'the patch did not run; the next migrate runs its pre scripts again'
        : plan.mode === 'none'
          ? `it ran outside a transaction and may be half-applied; its record says "applying": check what it did, then migrate --retry ${patch.name} or --fake ${patch.name}`
          : 'the server rolled it back: it is neither applied nor recorded. Patches before it are applied and recorded; run migrate again';
    return new ConnectionLostError(`lost the connection to ${context.database} while applying patch ${patch.name} (${stageInWords(stage)}): ${why}`, { cause: e, hint });
  };
  const runScripts = async (scripts: string[], kind: 'pre' | 'post') => {
    for (const script of scripts) {
      if (decide) {
        const d = await decide({ kind, patch, script });
        if (d === 'quit') throw new PatchFailedError(patch.name, kind, 'nothing', undefined, new UsageError('stopped at the prompt'));
        if (d === 'no' || d === 'skip') continue;
      }
      await runHook(script, patch.name, dsn, hookOutput);
    }
  };

  try {
    if (!item.postOnly && patch.pre.length) {
      await row.write({ status: 'applying', stage: 'pre' });
      recordedBefore = true;
      await runScripts(patch.pre, 'pre');
    }
    stage = 'patch';
    if (!item.postOnly) await runPatchSql(context, item, row, hasPost, started);
    if (hasPost) {
      stage = 'post';
      await runScripts(patch.post, 'post');
      await row.write({ status: 'applied', stage: 'post' }, String(Math.round(performance.now() - started)));
    }
  } catch (e) {
    await fail(e);
  }
}




function stageInWords(stage: 'pre' | 'patch' | 'post'): string {
  return stage === 'patch' ? 'running its SQL' : `running its ${stage} scripts`;
}

/**
 * The patch's row in the record, as this run knows it: what it read before the run, then what
 * it wrote. Each write expects the row to be still that (see recordWriteSql): a row another run
 * wrote meanwhile makes it fail with PatchClaimedError instead of being overwritten.
 */
class PatchRow {
  private expected: ExpectedRow;
  /** This run has written the row (so it says what this run last wrote). */
  claimed = false;

  constructor(private readonly context: ApplyContext, private readonly item: Prepared) {
    this.expected = item.recorded;
  }

  /** The write as SQL; `done` must be called once it has succeeded (in a batch, after it). */
  sql(row: Pick<RecordWrite, 'status' | 'stage' | 'error'>, durationSql?: string): { sql: string; done: () => void } {
    const full = { ...row, name: this.item.patch.name, checksum: this.item.checksum };
    const done = () => {
      this.expected = { status: row.status, stage: row.stage ?? null };
      this.claimed = true;
    };
    return { sql: recordWriteSql(this.context.schema, full, this.expected, durationSql), done };
  }

  /** `before`: statements sent in the same message, first (the session reset). */
  async write(row: Pick<RecordWrite, 'status' | 'stage' | 'error'>, durationSql?: string, before?: string): Promise<void> {
    const { sql, done } = this.sql(row, durationSql);
    try {
      await this.context.session.query(before ? `${before}\n${sql}` : sql);
    } catch (e) {
      if (isRecordConflict(e)) throw new PatchClaimedError(this.item.patch.name, e);
      if (!isServerError(e)) throw e;
      // A trigger or a permission on the record: the server's error, placed at the patch.
      const server = toServerMessage(e);
      server.where = [`while pgpatch wrote the patch's row (${row.status}, stage ${row.stage}) in ${recordTable(this.context.schema)}`, server.where].filter(Boolean).join('\n');
      throw new SqlError(server, 'schema_patch write', endOf(this.item.patch.path), undefined, [], undefined);
    }
    done();
  }
}

async function runPatchSql(context: ApplyContext, item: Prepared, record: PatchRow, hasPost: boolean, started: number): Promise<void> {
  const { session, schema, emit: onEvent } = context;
  const { patch, plan, steps } = item;
  const final = { status: hasPost ? 'applying' : 'applied', stage: hasPost ? 'post' : 'patch' } as const;
  // Written in the patch's transaction: a server error here (a trigger or a permission the
  // patch changed) is the patch's failure, shown at its end, not an internal error; a lost run
  // lock or a row another run wrote stops the run.
  const recordError = (e: DatabaseError): Error => {
    if (e.code === LOCK_LOST_SQLSTATE) return new RunLockLostError(patch.name, true);
    if (isRecordConflict(e)) return new PatchClaimedError(patch.name, e);
    const server = toServerMessage(e);
    server.where = [`while pgpatch wrote the patch's row in ${recordTable(schema)}, after its last statement`, server.where].filter(Boolean).join('\n');
    return new SqlError(server, 'INSERT INTO schema_patch ...', endOf(patch.path), undefined, [], undefined);
  };
  // The run lock is checked in the patch's transaction, before its record: a patch that dropped
  // it is rolled back rather than committed while another run may be applying patches.
  const ending = (durationSql: string) => {
    const write = record.sql(final, durationSql);
    return { statements: [{ sql: `${LOCK_CHECK_SQL};`, onError: recordError }, { sql: `${write.sql};`, onError: recordError }] as ExtraStatement[], done: write.done };
  };
  const run = async () => {
    const { statements, done } = ending(String(Math.round(performance.now() - started)));
    await session.query(statements.map((s) => s.sql).join('\n')).catch((e: unknown) => {
      throw isServerError(e) ? recordError(e) : e;
    });
    done();
  };
  // Batched (one round trip for the whole patch), the record row goes in as literals; the server
  // stops at the first error, which leaves the transaction aborted (the COMMIT is not reached).
  // The duration adds the server's time to ours so far.
  const batched = () => ending(`(${Math.round(performance.now() - started)} + round(extract(epoch from clock_timestamp() - statement_timestamp()) * 1000))::int`);
  const exec = (s: Step[]) => executeSteps(session, s, { onEvent });
  const reset = sessionReset(context.runSettings, patch.name);
  // The statement lock timeout: in the patch's own message when it goes as one, else for the
  // session around it (see lock-waits.ts); after the reset, which would clear it.
  const lockTimeout = statementLockTimeout(context.statementLockTimeoutMs);
  const aroundUnbatched = plan.mode === 'none' || (plan.mode === 'own' && !canBatch(steps)) ? sessionLockTimeout(context.statementLockTimeoutMs) : undefined;
  const resetText = [...reset.map((s) => s.sql), ...(aroundUnbatched ? [`${aroundUnbatched.set};`] : [])].join('\n');
  if (plan.mode === 'wrapped') {
    const end = batched();
    await executeInTransaction(session, steps, patch.path, { onEvent, beforeBegin: reset, afterBegin: lockTimeout, beforeCommit: { statements: end.statements, run } });
    if (canBatch(steps)) end.done();
  } else if (plan.mode === 'own' && canBatch(steps)) {
    const end = batched();
    await executeBatch(session, [...reset, ...(lockTimeout ? [lockTimeout] : []), ...steps.slice(0, plan.commitIndex), ...end.statements, ...steps.slice(plan.commitIndex)], { onEvent });
    end.done();
  } else if (plan.mode === 'own') {
    // Statement by statement (a \copy, an \echo, a big patch): the reset goes on its own.
    await session.query(resetText);
    await exec(steps.slice(0, plan.commitIndex));
    if (session.transactionStatus() !== 'T') throw new Error(`patch ${patch.name}: expected an open transaction before its COMMIT`);
    await run();
    await exec(steps.slice(plan.commitIndex!));
  } else {
    await record.write({ status: 'applying', stage: 'patch' }, undefined, resetText);
    await exec(steps);
    if (session.transactionStatus() !== 'I') {
      await session.query('rollback');
      throw new Error(`patch ${patch.name} left a transaction open; it was rolled back`);
    }
    // Recorded applied (it ran to its end) in the same message that asks whether the run lock
    // is still held; if not, the run stops after it.
    const write = record.sql(final, String(Math.round(performance.now() - started)));
    const results = await session.query(`${write.sql};\nselect ${LOCK_HELD_SQL} as held`).catch((e: unknown) => {
      throw isServerError(e) ? recordError(e) : e;
    }) as unknown as Array<{ rows: Array<{ held: boolean }> }>;
    write.done();
    if (!results[results.length - 1].rows[0].held) throw new RunLockLostError(patch.name, false);
  }
  if (aroundUnbatched) await session.query(aroundUnbatched.reset);
}
