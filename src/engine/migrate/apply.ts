/**
 * Applying one patch: its pre scripts, its SQL in the transaction mode its plan chose (batched
 * into one message when it can be), its record, its post scripts; and what a failure leaves in
 * the record. `migrate.ts` decides what runs; this file runs it.
 */
import { performance } from 'node:perf_hooks';
import {
  ConnectionError,
  ConnectionLostError,
  PatchClaimedError,
  PatchFailedError,
  RunLockLostError,
  SqlError,
  UsageError,
} from '../../errors';
import { connect, isConnectionLost, isServerError, toServerMessage, type DatabaseError, type Session } from '../db';
import { runHook, type HookOutput } from '../patches/hooks';
import { isRecordConflict, recordTable, recordWriteSql, type ExpectedRow, type RecordWrite } from '../patches/recorder';
import { quoteLiteral } from '../../quote';
import type { SqlStep, Step } from '../script/compile';
import { endOf, executeInTransaction, transactionBatch } from '../script/commit';
import {
  batchMessage,
  canBatch,
  executeBatch,
  executeBatchAhead,
  executeSteps,
  type BatchAhead,
  type ExtraStatement,
} from '../script/execute';
import type { Target } from '../../target';
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
  /** The run's application_name: what the record says applied the patch (a patch may set the session's). */
  applicationName: string;
  /** An SQL expression, true while the run lock is held (RunLock.heldSql in patches/lock.ts). */
  lockHeldSql: string;
}

/** What applying a patch did beyond the patch. */
export interface Applied {
  /**
   * The patch changed settings of the database or of a role (ALTER DATABASE/ROLE ... SET), which
   * only a new connection starts with: the session is now a new connection (its backend pid
   * changed), and a patch sent ahead on the old one was refused by its check and did not run.
   */
  reconnected: boolean;
}

/**
 * Statements that bring the session back to the state a fresh connection has, sent at the start
 * of each patch's message (no round trip of their own): what a patch before it set (search_path,
 * role, statement_timeout, session characteristics), prepared, declared, listened to or created
 * as temporary does not reach the next one, as with one psql per patch. This is DISCARD ALL but
 * for its pg_advisory_unlock_all(), which the end of each patch does (see ending), and which
 * cannot run in a transaction block. RESET ALL leaves role and session authorization alone,
 * hence their own statements. Then the run's own settings (`runSettings`) are set again. In a
 * transaction of their own, committed before the patch's: a transaction that began in the same
 * message would keep the read-only or isolation level the session characteristics gave it when
 * it began. What RESET ALL goes back to is what the connection started with: a patch that
 * changes what a new connection starts with (ALTER DATABASE/ROLE ... SET) gets the next patch a
 * new connection instead (see freshSession). Built once per run.
 */
export function sessionReset(runSettings: string[]): ExtraStatement[] {
  let reset = resets.get(runSettings);
  if (reset) return reset;
  const onError = (e: DatabaseError) =>
    new UsageError(`could not reset the session before the patch: ${e.message}`, {
      hint: 'the patch did not run; the statements pgpatch sends are SET SESSION AUTHORIZATION DEFAULT, RESET ROLE, RESET ALL, DEALLOCATE ALL, CLOSE ALL, UNLISTEN *, DISCARD PLANS/TEMP/SEQUENCES',
    });
  reset = [
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
  resets.set(runSettings, reset);
  return reset;
}

const resets = new WeakMap<string[], ExtraStatement[]>();

/**
 * Runs one patch with its pre and post scripts and writes its record, each step recorded so
 * that a failure leaves the record saying where it stopped. `sent`: the patch's message is
 * already sent (sendPatch); its result is awaited instead.
 */
export async function applyPatch(context: ApplyContext, item: Prepared, sent?: SentPatch): Promise<Applied> {
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

  let settingsChanged = false;
  try {
    if (!item.postOnly && patch.pre.length) {
      await row.write({ status: 'applying', stage: 'pre' });
      recordedBefore = true;
      await runScripts(patch.pre, 'pre');
    }
    stage = 'patch';
    if (!item.postOnly) settingsChanged = (await runPatchSql(context, item, row, hasPost, started, sent)).settingsChanged;
    if (hasPost) {
      stage = 'post';
      await runScripts(patch.post, 'post');
      await row.write({ status: 'applied', stage: 'post' }, String(Math.round(performance.now() - started)));
    }
  } catch (e) {
    await fail(e);
  }
  // The patch is applied and recorded: a failure from here on is not its failure.
  if (settingsChanged) await freshSession(context, patch.name);
  return { reconnected: settingsChanged };
}

/**
 * The session starts over as a new connection, with the run's own settings: a patch changed
 * what a new connection starts with (ALTER DATABASE/ROLE ... SET), which no reset can give
 * (RESET ALL goes back to what the connection started with). The run lock is held by a
 * connection of its own (patches/lock.ts), so this one can go.
 */
async function freshSession(context: ApplyContext, patch: string): Promise<void> {
  const fresh = await connect(context.target, { applicationName: context.applicationName }).catch((e: unknown) => {
    const reason = e instanceof ConnectionError ? e.reason : ((e as Error)?.message ?? String(e));
    throw new ConnectionError(
      context.database,
      `${reason} (patch ${patch} is applied and recorded; it changed what a new connection starts with, and the next patch needs one)`,
      e,
    );
  });
  await context.session.replaceWith(fresh);
  if (context.runSettings.length) await context.session.query(context.runSettings.join(';\n'));
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

  /** Whether the patch has no row yet: its write is then a plain INSERT. */
  get isNew(): boolean {
    return this.expected === null;
  }

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
    return { sql: recordWriteSql(this.context.schema, full, this.expected, durationSql, this.context.applicationName), done };
  }

  /**
   * `before`: statements sent in the same message, first (the session reset); `after`: one sent
   * last, whose result is returned.
   */
  async write(
    row: Pick<RecordWrite, 'status' | 'stage' | 'error'>,
    durationSql?: string,
    before?: string,
    after?: string,
  ): Promise<unknown> {
    const { sql, done } = this.sql(row, durationSql);
    let result: unknown;
    try {
      result = await this.context.session.query([before, `${sql};`, after && `${after};`].filter(Boolean).join('\n'));
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
    return result;
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
    if (e.code === DIVISION_BY_ZERO) return new RunLockLostError(patch.name, true);
    if (isRecordConflict(e)) return new PatchClaimedError(patch.name, e);
    const server = toServerMessage(e);
    server.where = [`while pgpatch wrote the patch's row in ${recordTable(schema)}, after its last statement`, server.where]
      .filter(Boolean)
      .join('\n');
    return new SqlError(server, 'INSERT INTO schema_patch ...', endOf(patch.path), undefined, [], undefined);
  };
}

/**
 * pgpatch's checks fail with a division by zero: a plain statement that fails when a condition
 * is false (a DO block with RAISE says it in words, but costs the server a PL/pgSQL compilation
 * per patch). Each is mapped to its meaning by the statement that failed (its onError).
 */
const DIVISION_BY_ZERO = '22012';

/** SQL that fails with DIVISION_BY_ZERO unless `condition` (a boolean expression, never null) is true. */
function failUnless(condition: string): string {
  return `pg_catalog.int4div(1, (${condition})::int)`;
}

/**
 * pg_db_role_setting, the settings a new connection starts with by database and role, by its
 * fixed OID (DbRoleSettingRelationId, the same on every version): a name would be looked up in
 * the catalog three times per patch.
 */
const SETTINGS_CATALOG = `2964::pg_catalog.oid`;

/**
 * Whether the transaction changed pg_db_role_setting (ALTER DATABASE/ROLE ... SET or RESET, by
 * any means, dynamic SQL included): the server counts every row a transaction writes.
 */
const SETTINGS_CHANGED_SQL = `(pg_catalog.pg_stat_get_xact_tuples_inserted(${SETTINGS_CATALOG})
      operator(pg_catalog.+) pg_catalog.pg_stat_get_xact_tuples_updated(${SETTINGS_CATALOG})
      operator(pg_catalog.+) pg_catalog.pg_stat_get_xact_tuples_deleted(${SETTINGS_CATALOG}) operator(pg_catalog.>) 0)`;

/** The same question for a patch outside a transaction: a digest of pg_db_role_setting, before and after. */
const SETTINGS_DIGEST_SQL = `(select pg_catalog.md5(coalesce(pg_catalog.string_agg(pg_catalog.concat_ws(' ', d.setdatabase, d.setrole, d.setconfig), ','
      order by d.setdatabase, d.setrole), '')) from pg_catalog.pg_db_role_setting d)`;

/**
 * pgpatch's statements at the end of the patch's transaction, as few as they can be: the record
 * row (an INSERT for a pending patch, in the same statement as the rest; the guarded update of
 * recordWriteSql otherwise) and one SELECT that releases the session-level advisory locks the
 * patch left (the run lock is not this session's: patches/lock.ts), fails unless the run lock
 * is still held (so that the patch is rolled back rather than committed while another run may
 * be applying patches), tells whether the patch changed what a new connection starts with (then
 * the next patch needs one), and sets the mark a patch sent behind it checks (afterCheck): not
 * when a new connection is needed, so that such a patch does nothing on this one.
 */
function ending(
  context: ApplyContext,
  item: Prepared,
  record: PatchRow,
  hasPost: boolean,
  durationSql: string,
): { statements: ExtraStatement[]; done: () => void; settingsChanged: () => boolean } {
  const recordError = recordErrorFor(item.patch, context.schema);
  const write = record.sql(finalRow(hasPost), durationSql);
  let changed = false;
  // The mark is '' (no patch name is) when the settings changed: set_config returns it, so the
  // question is asked once, without a subquery.
  const check = `select pg_catalog.pg_advisory_unlock_all() as unlocked, ${failUnless(context.lockHeldSql)} as run_lock,
    pg_catalog.set_config('${COMMITTED_SETTING}', case when ${SETTINGS_CHANGED_SQL} then '' else ${quoteLiteral(item.patch.name)} end, false) as mark`;
  const onRow = (values: Array<string | null>) => (changed = values[2] === '');
  const statements: ExtraStatement[] = record.isNew
    ? [{ sql: `with record as (${write.sql})\n${check};`, onError: recordError, onRow }]
    : [
        { sql: `${write.sql};`, onError: recordError },
        { sql: `${check};`, onError: recordError, onRow },
      ];
  return { statements, done: write.done, settingsChanged: () => changed };
}

/** A session setting (not a server one: `pgpatch.` is a custom prefix) naming the last patch this session committed. */
const COMMITTED_SETTING = 'pgpatch.committed';

/**
 * First in a patch's message sent behind another (see sendPatch): fails unless the patch before it
 * committed in this session, which set COMMITTED_SETTING in its transaction (a transaction that
 * fails takes its settings with it). The server stops a message at its first error, so
 * nothing else of the patch runs. Functions by their schema: the session's search_path is still
 * the one the patch before left.
 */
function afterCheck(previous: string, patch: string): ExtraStatement {
  return {
    sql: `select ${failUnless(`coalesce(pg_catalog.texteq(pg_catalog.current_setting('${COMMITTED_SETTING}', true), ${quoteLiteral(previous)}), false)`)};`,
    onError: (e) =>
      e.code === DIVISION_BY_ZERO
        ? new PreviousNotCommittedError(patch, previous)
        : new UsageError(`patch ${patch} was not run: ${e.message}`),
  };
}

/** A patch sent behind another that did not commit (or needs a new connection): it did nothing. */
export class PreviousNotCommittedError extends Error {
  constructor(
    readonly patch: string,
    readonly previous: string,
  ) {
    super(`patch ${patch} was not run: the patch before it (${previous}) did not commit in this session`);
  }
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
): { items: Array<SqlStep | ExtraStatement>; done: () => void; settingsChanged: () => boolean } | undefined {
  const { patch, plan, steps } = item;
  if ((plan.mode !== 'wrapped' && plan.mode !== 'own') || !canBatch(steps)) return undefined;
  const end = ending(
    context,
    item,
    record,
    hasPost,
    `(${Math.round(performance.now() - started)} + round(extract(epoch from clock_timestamp() - statement_timestamp()) * 1000))::int`,
  );
  const reset = [...(after ? [afterCheck(after, patch.name)] : []), ...sessionReset(context.runSettings)];
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
  return { items, done: end.done, settingsChanged: end.settingsChanged };
}

/** A patch whose message is on its way to the server (sendPatch). */
export interface SentPatch {
  batch: BatchAhead;
  /** Once its result is in without error: the record row is what this run wrote. */
  done: () => void;
  settingsChanged: () => boolean;
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
  if (!goesAhead(item) || (previous && !goesAhead(previous))) return undefined;
  const built = patchBatch(context, item, new PatchRow(context, item), false, performance.now(), previous?.patch.name);
  if (!built) return undefined;
  const batch = executeBatchAhead(context.session, batchMessage(built.items), { onEvent: context.emit });
  if (!batch) return undefined;
  return { batch, done: built.done, settingsChanged: built.settingsChanged };
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

/** The rows of the last statement of a query that may have run several (pg gives an array then). */
function lastRows(result: unknown): Array<Record<string, unknown>> {
  const results = (Array.isArray(result) ? result : [result]) as Array<{ rows: Array<Record<string, unknown>> }>;
  return results[results.length - 1].rows;
}

async function runPatchSql(
  context: ApplyContext,
  item: Prepared,
  record: PatchRow,
  hasPost: boolean,
  started: number,
  sent?: SentPatch,
): Promise<{ settingsChanged: boolean }> {
  const { session, schema, emit: onEvent } = context;
  const { patch, plan, steps } = item;
  if (sent) {
    await sent.batch.take();
    sent.done();
    return { settingsChanged: sent.settingsChanged() };
  }
  const single = patchBatch(context, item, record, hasPost, started);
  if (single) {
    await executeBatch(session, single.items, { onEvent });
    single.done();
    return { settingsChanged: single.settingsChanged() };
  }
  const recordError = recordErrorFor(patch, schema);
  const final = finalRow(hasPost);
  let settingsChanged = false;
  const run = async () => {
    const { statements, done } = ending(context, item, record, hasPost, String(Math.round(performance.now() - started)));
    const result = await session.query(statements.map((s) => s.sql).join('\n')).catch((e: unknown) => {
      throw isServerError(e) ? recordError(e) : e;
    });
    settingsChanged = lastRows(result)[0].mark === '';
    done();
  };
  const exec = (s: Step[]) => executeSteps(session, s, { onEvent });
  // Statement by statement (a \copy, an \echo, a big patch): the reset goes on its own.
  const reset = sessionReset(context.runSettings);
  if (plan.mode === 'wrapped') {
    // In the transaction pgpatch wraps around it, the timeout goes in as SET LOCAL (lock-waits.ts).
    await executeInTransaction(session, steps, patch.path, {
      onEvent,
      beforeBegin: reset,
      afterBegin: statementLockTimeout(context.statementLockTimeoutMs),
      beforeCommit: { statements: [], run },
    });
    return { settingsChanged };
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
    // Outside a transaction the server counts nothing for us: the settings are compared before and after.
    const before = lastRows(
      await record.write({ status: 'applying', stage: 'patch' }, undefined, resetText, `select ${SETTINGS_DIGEST_SQL} as digest`),
    )[0].digest;
    await exec(steps);
    if (session.transactionStatus() !== 'I') {
      await session.query('rollback');
      throw new Error(`patch ${patch.name} left a transaction open; it was rolled back`);
    }
    // Recorded applied (it ran to its end) in the same message that asks whether the run lock
    // is still held (if not, the run stops after it) and releases the advisory locks it left.
    const write = record.sql(final, String(Math.round(performance.now() - started)));
    const result = await session
      .query(
        `${write.sql};\nselect pg_catalog.pg_advisory_unlock_all() as unlocked, ${context.lockHeldSql} as held, ${SETTINGS_DIGEST_SQL} as digest`,
      )
      .catch((e: unknown) => {
        throw isServerError(e) ? recordError(e) : e;
      });
    write.done();
    const after = lastRows(result)[0];
    if (!after.held) throw new RunLockLostError(patch.name, false);
    settingsChanged = after.digest !== before;
  }
  if (around) await session.query(around.reset);
  return { settingsChanged };
}
