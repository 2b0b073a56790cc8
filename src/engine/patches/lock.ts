/**
 * One migrate run at a time per record (so per database, unless records are kept in several
 * schemas, one per tenant): a session-level advisory lock held for the whole run.
 *
 * Taken by polling `pg_try_advisory_lock`, never by blocking in `pg_advisory_lock`: a session
 * waiting in that call has an open statement, and `CREATE INDEX CONCURRENTLY` run by the lock
 * holder waits for every open transaction, so both would hang (Flyway issue #1654).
 */
import { createHash } from 'node:crypto';
import { LockTimeoutError, type LockHolder } from '../../errors';
import type { Session } from '../db';

/** The two keys of our advisory lock: "pgpa" and "tch\0" in ASCII, unlikely to collide with an app's. */
export const LOCK_KEYS = [0x70677061, 0x74636800] as const;

/**
 * The run lock's keys for a record: one run at a time per record, so that the tenants of one
 * database (a record in each tenant's schema) are patched at the same time. The record in
 * `public` keeps LOCK_KEYS, the keys pgpatch has always used; another schema's keys are the
 * first 62 bits of sha256("pgpatch run lock " + schema), as two non-negative int4 (so that they
 * can be written in SQL as they are): stable across versions, and two schemas of a database
 * share a lock only by a hash collision (about 1 pair in 10^18).
 */
export function runLockKeys(schema = 'public'): readonly [number, number] {
  if (schema === 'public') return LOCK_KEYS;
  const hash = createHash('sha256').update(`pgpatch run lock ${schema}`).digest();
  return [hash.readUInt32BE(0) & 0x7fffffff, hash.readUInt32BE(4) & 0x7fffffff];
}

export interface LockOptions {
  /** How long to keep trying; 0 fails at once when the lock is held. */
  timeoutMs: number;
  pollMs?: number;
  /** Told once, when the first try fails, who holds the lock. */
  onWait?: (holders: LockHolder[]) => void;
  /** The record's schema: its run lock (runLockKeys). Default public. */
  schema?: string;
}

/**
 * Takes the lock twice when it is free (a session's advisory locks count), so that lockHeldSql
 * can give one back and take it again without ever letting it go (see there).
 */
async function tryLock(session: Session, keys: readonly [number, number]): Promise<boolean> {
  const r = await session.query('select pg_try_advisory_lock($1, $2) and pg_try_advisory_lock($1, $2) as ok', [keys[0], keys[1]]);
  return r.rows[0].ok as boolean;
}

export async function lockHolders(session: Session, keys: readonly [number, number] = LOCK_KEYS): Promise<LockHolder[]> {
  const r = await session.query(
    `select a.pid, coalesce(a.application_name, '') as application_name, coalesce(a.usename::text, '') as usename,
            host(a.client_addr) as client_addr, a.backend_start::text as backend_start, a.state
       from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.granted and l.classid = $1::int::oid and l.objid = $2::int::oid
        and l.objsubid = 2 and l.database = (select oid from pg_database where datname = current_database())`,
    [keys[0], keys[1]],
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

export async function acquireLock(session: Session, options: LockOptions): Promise<void> {
  const started = Date.now();
  const keys = runLockKeys(options.schema);
  if (await tryLock(session, keys)) return;
  let holders = await lockHolders(session, keys);
  options.onWait?.(holders);
  const poll = options.pollMs ?? 250;
  while (Date.now() - started < options.timeoutMs) {
    await new Promise((r) => setTimeout(r, Math.min(poll, Math.max(1, options.timeoutMs - (Date.now() - started)))));
    if (await tryLock(session, keys)) return;
  }
  holders = await lockHolders(session, keys);
  throw new LockTimeoutError(holders, Date.now() - started);
}

/** SQLSTATE of the error lockCheckSql raises when the run no longer holds its lock. */
export const LOCK_LOST_SQLSTATE = 'PP001';

/**
 * An SQL expression: whether this session still holds the run lock of the record in `schema`. The run holds it twice
 * (tryLock); giving one back succeeds only if it holds it at all, and taking it again is then
 * immediate. A patch that dropped it (pg_advisory_unlock_all(), DISCARD ALL) makes the unlock
 * false (with a WARNING); one that gave back one of the two leaves it held once, the unlock then
 * lets it go for an instant, and the try fails if another run took it in that instant.
 * Reading pg_locks instead cost ~0.5 ms of server time per patch: pg_lock_status() copies the
 * whole lock table (measured 2026-11-27 over 1,000 patches, bench/RESULTS.md). In parentheses:
 * PL/pgSQL's IF would end the expression at the CASE's THEN.
 */
export function lockHeldSql(schema = 'public'): string {
  const [a, b] = runLockKeys(schema);
  return `(case when pg_catalog.pg_advisory_unlock(${a}, ${b})
    then pg_catalog.pg_try_advisory_lock(${a}, ${b}) else false end)`;
}

/**
 * A statement that fails with LOCK_LOST_SQLSTATE unless this session still holds the run lock of the record in `schema`.
 * A patch can drop it (pg_advisory_unlock_all(), DISCARD ALL), and another run may then start;
 * sent at the end of a patch's transaction, it rolls that patch back instead of committing it.
 */
export function lockCheckSql(schema = 'public'): string {
  return `do $pgpatch$ begin
  if not ${lockHeldSql(schema)} then
    raise exception using errcode = '${LOCK_LOST_SQLSTATE}', message = 'pgpatch no longer holds its run lock';
  end if;
end $pgpatch$`;
}

/** Gives back both holds (see tryLock). */
export async function releaseLock(session: Session, schema?: string): Promise<void> {
  const keys = runLockKeys(schema);
  await session.query('select pg_advisory_unlock($1, $2) and pg_advisory_unlock($1, $2)', [keys[0], keys[1]]);
}

/** Runs `fn` holding the lock; releases it afterwards (ending the session would release it too). */
export async function withLock<T>(session: Session, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  await acquireLock(session, options);
  try {
    return await fn();
  } finally {
    await releaseLock(session, options.schema).catch(() => undefined);
  }
}
