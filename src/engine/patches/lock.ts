/**
 * One migrate run at a time per database: a session-level advisory lock held for the whole run.
 *
 * Taken by polling `pg_try_advisory_lock`, never by blocking in `pg_advisory_lock`: a session
 * waiting in that call has an open statement, and `CREATE INDEX CONCURRENTLY` run by the lock
 * holder waits for every open transaction, so both would hang (Flyway issue #1654).
 *
 * Before any patch runs, the lock moves to a connection of its own, the keeper, which runs
 * nothing else (RunLock.keepApart): no statement of a patch can release it then
 * (pg_advisory_unlock_all(), DISCARD ALL, pg_advisory_unlock of pgpatch's key all act on the
 * patch's session only), and the patch's session can drop every advisory lock a patch left.
 */
import { LockTimeoutError, type LockHolder } from '../../errors';
import type { Session } from '../db';

/** The two keys of our advisory lock: "pgpa" and "tch\0" in ASCII, unlikely to collide with an app's. */
export const LOCK_KEYS = [0x70677061, 0x74636800] as const;

const KEYS = `${LOCK_KEYS[0]}, ${LOCK_KEYS[1]}`;

export interface LockOptions {
  /** How long to keep trying; 0 fails at once when the lock is held. */
  timeoutMs: number;
  pollMs?: number;
  /** Told once, when the first try fails, who holds the lock. */
  onWait?: (holders: LockHolder[]) => void;
}

async function tryLock(session: Session): Promise<boolean> {
  const r = await session.query('select pg_try_advisory_lock($1, $2) as ok', [LOCK_KEYS[0], LOCK_KEYS[1]]);
  return r.rows[0].ok as boolean;
}

/** Who holds the lock (in either mode: the keeper holds it shared). */
export async function lockHolders(session: Session): Promise<LockHolder[]> {
  const r = await session.query(
    `select a.pid, coalesce(a.application_name, '') as application_name, coalesce(a.usename::text, '') as usename,
            host(a.client_addr) as client_addr, a.backend_start::text as backend_start, a.state
       from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.granted and l.classid = $1::int::oid and l.objid = $2::int::oid
        and l.objsubid = 2 and l.database = (select oid from pg_database where datname = current_database())`,
    [LOCK_KEYS[0], LOCK_KEYS[1]],
  );
  return r.rows.map((row) => ({
    pid: row.pid,
    applicationName: row.application_name,
    user: row.usename,
    clientAddr: row.client_addr,
    backendStart: row.backend_start,
    state: row.state,
  }));
}

export async function acquireLock(session: Session, options: LockOptions): Promise<RunLock> {
  const started = Date.now();
  if (await tryLock(session)) return new RunLock(session);
  let holders = await lockHolders(session);
  options.onWait?.(holders);
  const poll = options.pollMs ?? 250;
  while (Date.now() - started < options.timeoutMs) {
    await new Promise((r) => setTimeout(r, Math.min(poll, Math.max(1, options.timeoutMs - (Date.now() - started)))));
    if (await tryLock(session)) return new RunLock(session);
  }
  holders = await lockHolders(session);
  throw new LockTimeoutError(holders, Date.now() - started);
}

/** Statements, one message, that return one boolean column each: all must be true. */
async function allTrue(session: Session, statements: string[]): Promise<boolean> {
  const r = (await session.query(statements.join(';\n'))) as unknown;
  const results = (Array.isArray(r) ? r : [r]) as Array<{ rows: Array<{ ok: boolean }> }>;
  return results.every((x) => x.rows[0]?.ok === true);
}

/**
 * The run lock of one run. Taken by the run's session (acquireLock), which holds it alone
 * while the run only reads and records (a run with nothing to apply never opens another
 * connection); moved to a keeper before any patch runs (keepApart).
 */
export class RunLock {
  private keeper: Session | undefined;
  /** A key of this run's own, which the keeper holds too: see heldSql. */
  private token = 0;

  constructor(private readonly session: Session) {}

  /**
   * Moves the lock to `keeper`, a new connection that runs nothing else, without a moment in
   * which it is free: other runs ask for it exclusive, and something holds it all along. The
   * session takes it shared as well and gives back its exclusive hold; the keeper takes it
   * shared (which only the session's shared hold now meets: shared and shared agree) and a
   * key of this run's own; the session gives back its shared hold. Once only.
   */
  async keepApart(connectKeeper: () => Promise<Session>): Promise<void> {
    if (this.keeper) return;
    const keeper = await connectKeeper();
    try {
      // An idle connection would be ended by idle_session_timeout (PostgreSQL 14+), and the lock with it.
      await keeper.query('set idle_session_timeout = 0').catch(() => undefined);
      const token = randomToken();
      const moved =
        (await allTrue(this.session, [
          `select pg_catalog.pg_try_advisory_lock_shared(${KEYS}) as ok`,
          `select pg_catalog.pg_advisory_unlock(${KEYS}) as ok`,
        ])) &&
        (await allTrue(keeper, [
          `select pg_catalog.pg_try_advisory_lock_shared(${KEYS}) as ok`,
          `select pg_catalog.pg_try_advisory_lock(${LOCK_KEYS[0]}, ${token}) as ok`,
        ])) &&
        (await allTrue(this.session, [`select pg_catalog.pg_advisory_unlock_shared(${KEYS}) as ok`]));
      if (!moved) throw new Error('could not move the run lock to a connection of its own');
      this.keeper = keeper;
      this.token = token;
    } catch (e) {
      await keeper.end();
      throw e;
    }
  }

  /**
   * An SQL expression for the patches' session: true while the keeper holds the lock. It asks
   * for the run's own key, which nobody else takes: refused while the keeper lives (and so holds
   * the lock too), granted when it is gone; granted for the transaction only, so it goes with
   * it, and no unlock (and no WARNING) is ever needed. Undefined before keepApart.
   */
  get heldSql(): string | undefined {
    return this.keeper ? `(not pg_catalog.pg_try_advisory_xact_lock(${LOCK_KEYS[0]}, ${this.token}))` : undefined;
  }

  /** Gives the lock back (ending the keeper, or unlocking in the run's session). */
  async release(): Promise<void> {
    if (this.keeper) {
      await this.keeper.end();
      return;
    }
    await this.session.query('select pg_advisory_unlock($1, $2)', [LOCK_KEYS[0], LOCK_KEYS[1]]);
  }
}

/** A key for this run: any but pgpatch's own second key, so that lockHolders never counts it. */
function randomToken(): number {
  for (;;) {
    const n = (Math.random() * 0x100000000) | 0;
    if (n !== LOCK_KEYS[1]) return n;
  }
}

/** Runs `fn` holding the lock; releases it afterwards (ending the session would release it too). */
export async function withLock<T>(session: Session, options: LockOptions, fn: (lock: RunLock) => Promise<T>): Promise<T> {
  const lock = await acquireLock(session, options);
  try {
    return await fn(lock);
  } finally {
    await lock.release().catch(() => undefined);
  }
}
