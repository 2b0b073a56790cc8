/**
 * Patch statements that wait for a table lock: who blocks them, and the statement lock
 * timeout (PostgreSQL's `lock_timeout` for patch statements; not the run lock of patches/lock.ts).
 *
 * An `ALTER TABLE` behind a long reader waits with no output, and every new reader of that
 * table queues behind it. While a patch runs, a second connection looks, after a couple of
 * seconds and then every second, whether migrate's backend waits for a lock
 * (`pg_blocking_pids`), and reports the sessions that hold it as an event. It is opened only
 * when a patch has run that long (or, with a statement lock timeout, when the first patch
 * starts), so quick runs without one cost nothing, and it takes no lock that a patch
 * could wait for: its queries read pg_locks and pg_stat_activity, each in a transaction of its
 * own under a short lock_timeout and statement_timeout set for that
 * transaction alone (SET LOCAL, in the query's message: nothing is set for the session, which
 * a pooler may hand to another client afterwards). Its timers are unref'd and stopped after each
 * patch whatever happened; a reply that arrives after that is dropped. When it cannot connect,
 * or a query of it fails, the run goes on without it: it only informs.
 */
import { PatchFailedError, SqlError, StatementLockTimeoutError, type BlockingSession } from '../../errors';
import { connect, type Session, type Target } from '../db';
import type { ExtraStatement } from '../script/execute';

export interface StatementLockWaitEvent {
  type: 'statement-lock-wait';
  patch: string;
  /** How long the statement has waited so far. */
  waitedMs: number;
  /** What it waits for, in words: `AccessExclusiveLock on public.t`. */
  lock: string;
  blockers: BlockingSession[];
}

export interface LockWatchOptions {
  target: Target;
  /** Backend pid of migrate's session. */
  pid: number;
  applicationName: string;
  /** The statement lock timeout, when set: the watch then looks early enough to name the holders when it fires. */
  statementLockTimeoutMs?: number;
  onEvent: (e: StatementLockWaitEvent) => void;
  /** Report a wait longer than this. */
  reportAfterMs?: number;
  /**
   * A turn for the watch's connection, when connections are bounded (a fleet): none free, and
   * the patch runs unwatched (the statement lock timeout still applies; its error then names no holders).
   */
  gate?: { tryTake(): (() => void) | undefined };
  pollMs?: number;
}

/** The watch of one patch. */
export interface PatchWatch {
  stop(): void;
  /** A failure of the patch, reworded when the statement lock timeout cancelled it. */
  explain(e: unknown): unknown;
  /** The same for a statement's own error, not wrapped in a patch failure (try): the SqlError, or the timeout's. */
  explainStatement(e: SqlError): SqlError | StatementLockTimeoutError;
}

interface Seen {
  waitedMs: number;
  lock: string;
  blockers: BlockingSession[];
}

/**
 * Never queue behind a patch's lock (a catalog view's AccessShareLock), nor run long: for the
 * statement after them in the same message, whose implicit transaction they belong to. No `SET
 * TRANSACTION READ ONLY` (the query only reads): in an implicit transaction it left
 * transaction_read_only set at session level on the server connection, seen through a
 * transaction pooler once try watched its lock waits.
 */
const LOOK_SETTINGS = `set local lock_timeout = '500ms'; set local statement_timeout = '5s';`;

/** The locks `pid` waits for and who holds them; `pid` is a number, written in the text (one message with LOOK_SETTINGS, no parameters). */
const waitQuery = (pid: number) => `
select l.mode, l.locktype, l.relation::regclass::text as relation,
       (extract(epoch from clock_timestamp() - (to_jsonb(l) ->> 'waitstart')::timestamptz) * 1000)::bigint as waited_ms,
       b.pid, coalesce(a.application_name, '') as application_name, coalesce(a.usename::text, '') as usename,
       host(a.client_addr) as client_addr, a.state, a.state_change::text as state_change, a.xact_start::text as xact_start,
       a.query_start::text as query_start, coalesce(left(a.query, 200), '') as query
  from (select * from pg_locks where pid = ${pid} and not granted limit 1) l
  cross join lateral unnest(pg_blocking_pids(${pid})) as b(pid)
  left join pg_stat_activity a on a.pid = b.pid
 order by b.pid`;

/** pg_locks.locktype in words, for locks that are not on a relation. */
const LOCK_TYPES: Record<string, string> = {
  transactionid: 'a transaction (a row it changed or locked)',
  virtualxid: 'a transaction (CONCURRENTLY waits for older transactions to end)',
  tuple: 'a row',
  object: 'a database object',
  advisory: 'an advisory lock',
};

export class LockWatcher {
  private session: Promise<Session | undefined> | undefined;
  private closed = false;
  /** Gives back the gate's turn, once the connection is closed. */
  private release?: () => void;
  /** The gate had no turn free: the next look asks again. */
  private refused = false;
  private readonly reportAfterMs: number;
  private readonly pollMs: number;
  private readonly firstPollMs: number;

  constructor(private readonly options: LockWatchOptions) {
    this.reportAfterMs = options.reportAfterMs ?? 2000;
    const timeout = options.statementLockTimeoutMs;
    // With a timeout, look before it fires (at half of it) so that its error can name the holders.
    this.firstPollMs = timeout ? clamp(timeout / 2, 100, this.reportAfterMs) : this.reportAfterMs;
    this.pollMs = timeout ? clamp(timeout / 4, 100, options.pollMs ?? 1000) : (options.pollMs ?? 1000);
  }

  /** Starts watching migrate's backend while `patch` runs; stop() it when the patch ends. */
  watch(patch: string): PatchWatch {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    /** The wait seen at the latest look, if any. */
    let current: Seen | undefined;
    /**
     * The latest wait seen during this patch, kept after it ends: the look after a lock timeout
     * fired finds no wait any more, but the error is explained later. It could name the holders
     * of an earlier wait only if the one that timed out was never seen (missed by every look).
     */
    let last: Seen | undefined;
    let reported = '';
    let firstSeenAt = 0;
    const schedule = (ms: number) => {
      timer = setTimeout(() => void poll(), ms);
      timer.unref();
    };
    const poll = async () => {
      const rows = await this.look().catch(() => undefined);
      if (stopped) return;
      if (rows?.length) {
        // The server's waitstart, or (when it is not set yet) since this watch first saw the wait.
        if (current?.lock !== rows[0].lock) firstSeenAt = Date.now();
        current = last = {
          lock: rows[0].lock,
          waitedMs: Math.max(rows[0].waitedMs, Date.now() - firstSeenAt),
          blockers: rows.map((r) => r.blocker),
        };
        const key = current.blockers.map((b) => b.pid).join(',');
        if (current.waitedMs >= this.reportAfterMs && key !== reported) {
          reported = key;
          this.options.onEvent({ type: 'statement-lock-wait', patch, ...current });
        }
      } else if (rows) {
        current = undefined;
        reported = '';
      }
      // A look that failed (its own short timeouts on a loaded server) is tried again next time.
      schedule(this.pollMs);
    };
    // With a timeout the first look comes early: connecting then (on a loaded machine, seconds)
    // could make it miss the holders, so the connection is opened now, in the background.
    if (this.options.statementLockTimeoutMs && !this.closed) this.session ??= this.open();
    schedule(this.firstPollMs);
    return {
      stop: () => {
        stopped = true;
        clearTimeout(timer);
      },
      explain: (e) => this.explain(e, last),
      explainStatement: (e) => this.timedOut(e, last) ?? e,
    };
  }

  /** Ends the watch's connection, if it was opened. */
  async close(): Promise<void> {
    this.closed = true;
    const session = await this.session?.catch(() => undefined);
    await session?.end();
    this.release?.();
    this.release = undefined;
  }

  private async look(): Promise<Array<{ lock: string; waitedMs: number; blocker: BlockingSession }>> {
    if (this.closed) return [];
    this.session ??= this.open();
    const session = await this.session;
    if (!session) {
      if (this.refused) {
        this.refused = false;
        this.session = undefined;
      }
      return [];
    }
    // Several statements in one message give a result each: the rows are the last one's.
    const results = (await session.query(`${LOOK_SETTINGS}\n${waitQuery(Math.trunc(this.options.pid))}`)) as unknown as Array<
      Awaited<ReturnType<Session['query']>>
    >;
    return results[results.length - 1].rows.map((row) => ({
      lock: `${row.mode} on ${row.relation ?? LOCK_TYPES[row.locktype] ?? `a lock of type ${row.locktype}`}`,
      waitedMs: Number(row.waited_ms ?? 0),
      blocker: {
        pid: row.pid,
        applicationName: row.application_name,
        user: row.usename,
        clientAddr: row.client_addr,
        state: row.state,
        stateSince: row.state_change,
        transactionStart: row.xact_start,
        queryStart: row.query_start,
        query: row.query,
      },
    }));
  }

  /** Undefined when it cannot connect: the run goes on unwatched. */
  private async open(): Promise<Session | undefined> {
    const gate = this.options.gate;
    const release = gate ? gate.tryTake() : () => undefined;
    if (!release) {
      this.refused = true;
      return undefined;
    }
    this.release = release;
    try {
      return await connect(this.options.target, { applicationName: this.options.applicationName });
    } catch {
      release();
      this.release = undefined;
      return undefined;
    }
  }

  private explain(e: unknown, seen: Seen | undefined): unknown {
    if (!(e instanceof PatchFailedError) || !(e.cause instanceof SqlError)) return e;
    const cause = this.timedOut(e.cause, seen);
    return cause ? new PatchFailedError(e.patch, e.stage, e.recorded, e.result, cause) : e;
  }

  /** The lock timeout's error for a statement the server cancelled for it; undefined for any other error. */
  private timedOut(e: SqlError, seen: Seen | undefined): StatementLockTimeoutError | undefined {
    if (e.server.sqlstate !== '55P03') return undefined;
    // 55P03 is also NOWAIT's "could not obtain lock": only the lock timeout's cancel is reworded.
    if (!this.options.statementLockTimeoutMs && !/lock timeout/i.test(e.server.message)) return undefined;
    return new StatementLockTimeoutError(this.options.statementLockTimeoutMs, seen?.blockers ?? [], seen?.lock, e);
  }
}

function clamp(n: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, Math.round(n)));
}

/**
 * The statement lock timeout as a statement for the message the patch already sends, inside its
 * transaction: SET LOCAL ends with it, so it never reaches the next patch. Placed before a
 * patch's own BEGIN in one message, it still belongs to that transaction (the implicit
 * transaction of a multi-statement message becomes the one BEGIN opens). A patch that sets
 * lock_timeout itself overrides it from there on.
 */
export function statementLockTimeout(ms: number | undefined): ExtraStatement | undefined {
  return ms ? { sql: `set local lock_timeout = '${Math.round(ms)}ms';` } : undefined;
}

/**
 * For a patch that runs statement by statement outside one message (no transaction of
 * pgpatch's, or too big to batch): the timeout is set for the session before it and reset after
 * it. A failed patch ends the run (and its session), so the reset is needed only after success.
 */
export function sessionLockTimeout(ms: number | undefined): { set: string; reset: string } | undefined {
  return ms ? { set: `set lock_timeout = '${Math.round(ms)}ms'`, reset: 'reset lock_timeout' } : undefined;
}
