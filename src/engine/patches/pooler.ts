/**
 * Whether a session reaches PostgreSQL through a pooler in transaction (or statement) mode,
 * such as PgBouncer's `pool_mode = transaction`. There, each transaction may run on another
 * server connection: migrate's session advisory lock would stay on whichever server connection
 * took it, and a patch's session would not be one session. Session mode keeps one server
 * connection per client for its whole life and passes.
 *
 * How: a direct TCP connection is recognised at once, the server seeing our own local port as
 * its client's port (one query, which the caller needs anyway). Otherwise (a Unix socket, a
 * proxy, a pooler, a port mapping) a second connection asks for its backend pid while the
 * first is idle: a transaction pooler hands it the server connection the first one just gave
 * back (PgBouncer reuses the most recent one), so both report the same pid; and the first
 * connection's pid must not change between two round trips.
 *
 * Limits: a busy pool may hand the second connection another server connection, and a pooler
 * could rotate its connections so that the first one keeps its pid by chance: then this says
 * nothing and migrate proceeds, as it did before. It never reports pooling for a direct or
 * session-mode connection (pids of two live sessions cannot be equal).
 *
 * The commands that read (showmigrations, lint, check --dsn, inspect, diff, try) work through a
 * transaction pooler instead: each reads in transactions of its own (inReadOnlyTransaction
 * below, inspect's snapshot) and sets nothing for its session, since a session setting would
 * stay on the server connection for whichever client gets it next
 * (`default_transaction_read_only = on` there made an application's INSERTs fail).
 */
import { TransactionPoolerError } from '../../errors';
import { connect, type Session, type Target } from '../db';

interface Identity {
  pid: number;
  clientPort: number | null;
}

async function identity(session: Session): Promise<Identity> {
  const r = await session.query<{ pid: number; port: number | null }>('select pg_backend_pid() as pid, inet_client_port() as port');
  return { pid: r.rows[0].pid, clientPort: r.rows[0].port };
}

/**
 * Throws TransactionPoolerError (naming `command`) when `session` is seen to go through a
 * transaction pooler. Call it before the session sets or runs anything. Returns the server's
 * pid of the session: through a pooler, the one the connection reports at startup (its cancel
 * key) is the pooler's own.
 */
export async function refuseTransactionPooler(
  session: Session,
  target: Target,
  applicationName: string,
  command: TransactionPoolerError['command'] = 'migrate',
): Promise<number> {
  const first = await identity(session);
  if (first.clientPort !== null && first.clientPort === session.localPort) return first.pid;
  // A second connection that cannot be had (max_connections, a pool limit) proves nothing.
  const probe = await connect(target, { applicationName }).catch(() => undefined);
  if (!probe) return first.pid;
  let other: Identity;
  try {
    other = await identity(probe);
  } finally {
    await probe.end();
  }
  const again = await identity(session);
  const where = target.display;
  if (other.pid === first.pid) {
    throw new TransactionPoolerError(
      where,
      `a second connection was given the same server session (backend pid ${first.pid}) while the first was idle`,
      command,
    );
  }
  if (again.pid !== first.pid) {
    throw new TransactionPoolerError(
      where,
      `the server session changed between two queries of one connection (backend pid ${first.pid}, then ${again.pid})`,
      command,
    );
  }
  return first.pid;
}

/**
 * Runs `fn`, whose queries only read, in one READ ONLY transaction of `session`, ended when it
 * returns or throws: nothing is set for the session, so a transaction pooler (which may give
 * the session's next transaction to another server connection, and this server connection to
 * another client) sees all of it on one server connection and keeps nothing of it. For a
 * session that is idle, not in a transaction of its own.
 */
export async function inReadOnlyTransaction<T>(session: Session, fn: () => Promise<T>): Promise<T> {
  await session.query('begin read only');
  let result: T;
  try {
    result = await fn();
  } catch (e) {
    // The first error is the one worth reporting, not a failed clean-up on a broken connection.
    await session.query('rollback').catch(() => undefined);
    throw e;
  }
  await session.query('commit');
  return result;
}
