// A real PgBouncer in front of a test server, for the tests of migrate through a pooler. It runs
// in the foreground on a free local port with a generated ini (auth_type any: it logs in to the
// server as postgres, which trusts 127.0.0.1). PgBouncer refuses to run as root: as root it is
// told to switch to the postgres user (`-u postgres`), the user the test clusters run as.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CANDIDATES = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer'];

/** The pgbouncer binary, or undefined when it is not installed (Debian package `pgbouncer`). */
export const PGBOUNCER = CANDIDATES.find((p) => existsSync(p));

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/**
 * Starts PgBouncer in `mode` (session, transaction, statement) for the server of `serverUrl`.
 * `poolSize`: server connections per database and user (PgBouncer's default_pool_size, 20 when
 * not given); with 1, a client is sure to get the server connection the one before it used.
 * `resetQuery`: PgBouncer's server_reset_query, run in session mode when a client leaves
 * (DISCARD ALL when not given; '' for none, so that what a client left is seen by the next).
 * Returns { urlFor(dbName), stop() }.
 */
export async function startPgBouncer(serverUrl, mode, { poolSize, resetQuery } = {}) {
  const server = new URL(serverUrl);
  const dir = mkdtempSync(join(tmpdir(), 'pgpatch-pgbouncer-'));
  chmodSync(dir, 0o755);
  const port = await freePort();
  const ini = join(dir, 'pgbouncer.ini');
  writeFileSync(
    ini,
    [
      '[databases]',
      `* = host=${server.hostname} port=${server.port} user=postgres`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = any',
      `pool_mode = ${mode}`,
      ...(poolSize ? [`default_pool_size = ${poolSize}`] : []),
      ...(resetQuery === undefined ? [] : [`server_reset_query = ${resetQuery}`]),
      'ignore_startup_parameters = extra_float_digits',
      '',
    ].join('\n'),
  );
  chmodSync(ini, 0o644);
  const args = process.getuid?.() === 0 ? ['-u', 'postgres', ini] : [ini];
  const child = spawn(PGBOUNCER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const exited = new Promise((resolve) => child.on('close', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const started = Date.now();
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() - started > 30000) {
      await stop();
      throw new Error(`pgbouncer did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    urlFor: (dbName) => `postgresql://postgres@127.0.0.1:${port}/${encodeURIComponent(dbName)}`,
    log: () => log,
    stop,
  };
}
