/**
 * Applying one patch: its pre scripts, its SQL in the transaction mode its plan chose (batched
 * into one message when it can be), its record, its post scripts; and what a failure leaves in
 * the record. `migrate.ts` decides what runs; this file runs it.
 */
import { performance } from 'node:perf_hooks';
import { ConnectionLostError, PatchClaimedError, PatchFailedError, RunLockLostError, SqlError, UsageError } from '../../errors';
import { isConnectionLost, isServerError, toServerMessage, type DatabaseError, type Session } from '../db';
import { runHook, type HookOutput } from '../patches/hooks';
import { lockCheckSql, lockHeldSql, LOCK_LOST_SQLSTATE } from '../patches/lock';
import { isRecordConflict, recordTable, recordWriteSql, type ExpectedRow, type RecordWrite } from '../patches/recorder';
import { quoteLiteral } from '../../quote';
import type { SqlStep, Step } from '../script/compile';
import { endOf, executeInTransaction, transactionBatch } from '../script/commit';
import { batchMessage, canBatch, executeBatch, executeBatchAhead, executeSteps, type ExtraStatement } from '../script/execute';
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
  const onError = (e: DatabaseError) =>
    new UsageError(`could not reset the session before patch ${patch}: ${e.message}`, {
      hint: 'the patch did not run; the statements pgpatch sends are SET SESSION AUTHORIZATION DEFAULT, RESET ROLE, RESET ALL, DEALLOCATE ALL, CLOSE ALL, UNLISTEN *, DISCARD PLANS/TEMP/SEQUENCES',
    });
  return [
    'begin',
    'set session authorization default',
    'reset role',
    'reset all',
    'deallocate all',
    'close all',
    'unlisten *',
    'discard plans',
    'discard temp',
    'discard sequences',
    ...runSettings,
    'commit',
  ].map((sql) => ({ sql: `${sql};`, onError }));
}

/**
 * Runs one patch with its pre and post scripts and writes its record, each step recorded so
 * that a failure leaves the record saying where it stopped. `sent`: the patch's message is
 * already sent (sendPatch); its result is awaited instead.
 */
export async function applyPatch(context: ApplyContext, item: Prepared, sent?: SentPatch): Promise<void> {
  const { session, schema, emit, decide } = context;
  const { patch, plan } = item;
  const dsn = context.target.patchDsn;
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
    const why = e instanceof SqlError ? `${e.server.severity}:  ${e.server.message}` : ((e as Error)?.message ?? String(e));
    const hint =
      stage === 'post'
        ? `the patch itself was committed; its record says "applying" (stage post): the next migrate runs only its post scripts`
        : stage === 'pre'
          ? 'the patch did not run; the next migrate runs its pre scripts again'
          : plan.mode === 'none'
            ? `it ran outside a transaction and may be half-applied; its record says "applying": check what it did, then migrate --retry ${patch.name} or --fake ${patch.name}`
            : 'the server rolled it back: it is neither applied nor recorded. Patches before it are applied and recorded; run migrate again';
    return new ConnectionLostError(
      `lost the connection to ${context.database} while applying patch ${patch.name} (${stageInWords(stage)}): ${why}`,
      { cause: e, hint },
    );
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
    if (!item.postOnly) await runPatchSql(context, item, row, hasPost, started, sent);
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

  constructor(
    private readonly context: ApplyContext,
    private readonly item: Prepared,
  ) {
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
      server.where = [
        `while pgpatch wrote the patch's row (${row.status}, stage ${row.stage}) in ${recordTable(this.context.schema)}`,
        server.where,
      ]
        .filter(Boolean)
        .join('\n');
      throw new SqlError(server, 'schema_patch write', endOf(this.item.patch.path), undefined, [], undefined);
    }
    done();
  }
}

/** The record's row when the patch's SQL has run: applied, or applying until its post scripts ran. */
function finalRow(hasPost: boolean) {
  return { status: hasPost ? 'applying' : 'applied', stage: hasPost ? 'post' : 'patch' } as const;
}

/**
 * What a failure of pgpatch's statements at the end of the patch's transaction means: a lost
 * run lock or a row another run wrote stops the run; a server error (a trigger or a permission
 * the patch changed) is the patch's failure, shown at its end, not an internal error.
 */
function recordErrorFor(patch: Prepared['patch'], schema: string): (e: DatabaseError) => Error {
  return (e) => {
    if (e.code === LOCK_LOST_SQLSTATE) return new RunLockLostError(patch.name, true);
    if (isRecordConflict(e)) return new PatchClaimedError(patch.name, e);
    const server = toServerMessage(e);
    server.where = [`while pgpatch wrote the patch's row in ${recordTable(schema)}, after its last statement`, server.where]
      .filter(Boolean)
      .join('\n');
    return new SqlError(server, 'INSERT INTO schema_patch ...', endOf(patch.path), undefined, [], undefined);
  };
}

/**
 * pgpatch's statements at the end of the patch's transaction: the run lock check (a patch that
 * dropped the lock is rolled back rather than committed while another run may be applying
 * patches), the record row, and the mark a patch sent after it checks (see afterCheck).
 */
function ending(
  context: ApplyContext,
  item: Prepared,
  record: PatchRow,
  hasPost: boolean,
  durationSql: string,
): { statements: ExtraStatement[]; done: () => void } {
  const recordError = recordErrorFor(item.patch, context.schema);
  const write = record.sql(finalRow(hasPost), durationSql);
  return {
    statements: [
      { sql: `${lockCheckSql(context.schema)};`, onError: recordError },
      { sql: `${write.sql};`, onError: recordError },
      { sql: `select pg_catalog.set_config('${COMMITTED_SETTING}', ${quoteLiteral(item.patch.name)}, false);` },
    ],
    done: write.done,
  };
}

/** A session setting (not a server one: `pgpatch.` is a custom prefix) naming the last patch this session committed. */
const COMMITTED_SETTING = 'pgpatch.committed';
/** SQLSTATE of afterCheck's error. */
export const PREVIOUS_NOT_COMMITTED_SQLSTATE = 'PP002';

/**
 * First in a patch's message sent behind another (see sendPatch): fails unless the patch before it
 * committed in this session, which set COMMITTED_SETTING in its transaction (a transaction that
 * fails takes its settings with it). The server stops a message at its first error, so
 * nothing else of the patch runs.
 */
function afterCheck(previous: string): ExtraStatement {
  return {
    sql: `do $pgpatch$ begin
  if pg_catalog.current_setting('${COMMITTED_SETTING}', true) is distinct from ${quoteLiteral(previous)} then
    raise exception using errcode = '${PREVIOUS_NOT_COMMITTED_SQLSTATE}', message = 'pgpatch: the patch before this one did not commit';
  end if;
end $pgpatch$;`,
  };
}

/**
 * The patch as one message, when it can go as one: a transaction pgpatch wraps around it, or its
 * own BEGIN ... COMMIT, with statements that can be batched (canBatch). The session reset first,
 * then the statement lock timeout (after the reset, which would clear it), the patch, and the
 * ending before the COMMIT. The record's duration adds the server's time to ours so far.
 */
function patchBatch(
  context: ApplyContext,
  item: Prepared,
  record: PatchRow,
  hasPost: boolean,
  started: number,
  after?: string,
): { items: Array<SqlStep | ExtraStatement>; done: () => void } | undefined {
  const { patch, plan, steps } = item;
  if ((plan.mode !== 'wrapped' && plan.mode !== 'own') || !canBatch(steps)) return undefined;
  const end = ending(
    context,
    item,
    record,
    hasPost,
    `(${Math.round(performance.now() - started)} + round(extract(epoch from clock_timestamp() - statement_timestamp()) * 1000))::int`,
  );
  const reset = [...(after ? [afterCheck(after)] : []), ...sessionReset(context.runSettings, patch.name)];
  const lockTimeout = statementLockTimeout(context.statementLockTimeoutMs);
  const items =
    plan.mode === 'wrapped'
      ? transactionBatch(steps, patch.path, { beforeBegin: reset, afterBegin: lockTimeout, beforeCommit: end.statements })
      : [
          ...reset,
          ...(lockTimeout ? [lockTimeout] : []),
          ...steps.slice(0, plan.commitIndex),
          ...end.statements,
          ...steps.slice(plan.commitIndex),
        ];
  return { items, done: end.done };
}

/** A patch whose message is on its way to the server (sendPatch). */
export interface SentPatch {
  result: Promise<unknown>;
  /** Once the result is in without error: the record row is what this run wrote. */
  done: () => void;
}

/**
 * Writes `item`'s message to the server now, so that the next one can follow it at once
 * (migrate.ts): on 1,000 small patches the server otherwise waits for this client between every
 * two, to read the result and answer. With `previous`, the message goes behind that patch's,
 * which may still run, and runs only if it committed (afterCheck): a failure still stops the
 * run before the next patch does anything. Only a patch that goes as one message and has no pre
 * or post scripts is sent this way; undefined otherwise (it is then sent in its turn).
 * Limit: a message sent is in the server's hands: if pgpatch is killed while `previous` runs,
 * the server may still run this one after it (each all or nothing, with its record row).
 */
export function sendPatch(context: ApplyContext, item: Prepared, previous?: Prepared): SentPatch | undefined {
  if (!goesAhead(item) || (previous && (!goesAhead(previous) || previous.patch.name.includes('$')))) return undefined;
  const built = patchBatch(context, item, new PatchRow(context, item), false, performance.now(), previous?.patch.name);
  if (!built) return undefined;
  const result = executeBatchAhead(context.session, batchMessage(built.items), { onEvent: context.emit });
  if (!result) return undefined;
  // Awaited by applyPatch in its turn; until then its failure is not "unhandled".
  result.catch(() => undefined);
  return { result, done: built.done };
}

function goesAhead(item: Prepared): boolean {
  return (
    !item.postOnly &&
    item.patch.pre.length === 0 &&
    item.patch.post.length === 0 &&
    (item.plan.mode === 'wrapped' || item.plan.mode === 'own') &&
    canBatch(item.steps)
  );
}

async function runPatchSql(
  context: ApplyContext,
  item: Prepared,
  record: PatchRow,
  hasPost: boolean,
  started: number,
  sent?: SentPatch,
): Promise<void> {
  const { session, schema, emit: onEvent } = context;
  const { patch, plan, steps } = item;
  if (sent) {
    await sent.result;
    sent.done();
    return;
  }
  const single = patchBatch(context, item, record, hasPost, started);
  if (single) {
    await executeBatch(session, single.items, { onEvent });
    single.done();
    return;
  }
  const recordError = recordErrorFor(patch, schema);
  const final = finalRow(hasPost);
  const run = async () => {
    const { statements, done } = ending(context, item, record, hasPost, String(Math.round(performance.now() - started)));
    await session.query(statements.map((s) => s.sql).join('\n')).catch((e: unknown) => {
      throw isServerError(e) ? recordError(e) : e;
    });
    done();
  };
  const exec = (s: Step[]) => executeSteps(session, s, { onEvent });
  // Statement by statement (a \copy, an \echo, a big patch): the reset goes on its own.
  const reset = sessionReset(context.runSettings, patch.name);
  if (plan.mode === 'wrapped') {
    // In the transaction pgpatch wraps around it, the timeout goes in as SET LOCAL (lock-waits.ts).
    await executeInTransaction(session, steps, patch.path, {
      onEvent,
      beforeBegin: reset,
      afterBegin: statementLockTimeout(context.statementLockTimeoutMs),
      beforeCommit: { statements: [], run },
    });
    return;
  }
  // Outside a transaction of pgpatch's, the statement lock timeout is set for the session around the patch.
  const around = sessionLockTimeout(context.statementLockTimeoutMs);
  const resetText = [...reset.map((s) => s.sql), ...(around ? [`${around.set};`] : [])].join('\n');
  if (plan.mode === 'own') {
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
    const results = (await session.query(`${write.sql};\nselect ${lockHeldSql(schema)} as held`).catch((e: unknown) => {
      throw isServerError(e) ? recordError(e) : e;
    })) as unknown as Array<{ rows: Array<{ held: boolean }> }>;
    write.done();
    if (!results[results.length - 1].rows[0].held) throw new RunLockLostError(patch.name, false);
  }
  if (around) await session.query(around.reset);
}
