// sslmode against a real server with TLS (a cluster of its own, with a certificate from a test
// authority made here with openssl): pgpatch encrypts, verifies and refuses exactly when psql
// does with the same string (PostgreSQL 15's psql is the reference).
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionError, connect, targetFrom } from 'pgpatch';
import { startTestCluster } from '../helpers/clusters.mjs';
import { adminQuery } from '../helpers/database.mjs';

const PSQL = '/usr/lib/postgresql/15/bin/psql';
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
let server;
let dir;

function openssl(...args) {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

/** A test authority, a server certificate it signs for the name localhost only, and another authority. */
function makeCertificates() {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=pgpatch test authority');
  openssl('req', '-x509', ...ec, '-keyout', 'other.key', '-out', 'other.crt', '-days', '2', '-subj', '/CN=another authority');
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'san.ext',
  );
}

test.before(async () => {
  if (!hasOpenssl) return;
  dir = mkdtempSync(join(tmpdir(), 'pgpatch-tls-'));
  chmodSync(dir, 0o755);
  makeCertificates();
  const cluster = await startTestCluster('tls');
  // The server may run as another user (postgres, when the tests run as root): the key is its.
  const owner = statSync(cluster.dataDir).uid;
  chmodSync(join(dir, 'server.key'), 0o600);
  if (process.getuid?.() === 0) chownSync(join(dir, 'server.key'), owner, -1);
  for (const sql of [
    `alter system set ssl_cert_file = '${join(dir, 'server.crt')}'`,
    `alter system set ssl_key_file = '${join(dir, 'server.key')}'`,
    'alter system set ssl = on',
    'select pg_reload_conf()',
  ])
    await adminQuery(cluster.url, sql);
  server = { ...cluster, port: new URL(cluster.url).port };
});

test.after.always(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** "t" or "f" (whether the session is encrypted), or the error, for pgpatch. */
async function ours(conninfo) {
  try {
    const session = await connect(targetFrom(conninfo, 'test'));
    try {
      const r = await session.query('select ssl from pg_stat_ssl where pid = pg_backend_pid()');
      return r.rows[0].ssl ? 't' : 'f';
    } finally {
      await session.end();
    }
  } catch (e) {
    if (!(e instanceof ConnectionError)) throw e;
    return 'refused';
  }
}

/** The same for psql. */
function psql(conninfo) {
  const env = { ...process.env, HOME: dir };
  for (const k of Object.keys(env)) if (k.startsWith('PG')) delete env[k];
  const r = spawnSync(PSQL, ['-XAt', '-c', 'select ssl from pg_stat_ssl where pid = pg_backend_pid()', conninfo], {
    env,
    encoding: 'utf8',
  });
  return r.status === 0 ? r.stdout.trim() : 'refused';
}

const CASES = [
  // [what, sslmode and more, host, expected]
  ['disable never encrypts', 'sslmode=disable', 'localhost', 'f'],
  ['allow takes the plain connection the server accepts', 'sslmode=allow', 'localhost', 'f'],
  ['prefer encrypts when the server can', 'sslmode=prefer', 'localhost', 't'],
  ['require encrypts without checking the certificate', 'sslmode=require', '127.0.0.1', 't'],
  ['require with a root certificate checks the chain', 'sslmode=require sslrootcert=ROOT/other.crt', 'localhost', 'refused'],
  ['require with the right root certificate does not check the name', 'sslmode=require sslrootcert=ROOT/ca.crt', '127.0.0.1', 't'],
  ['verify-ca checks the chain, not the name', 'sslmode=verify-ca sslrootcert=ROOT/ca.crt', '127.0.0.1', 't'],
  ['verify-ca with another authority is refused', 'sslmode=verify-ca sslrootcert=ROOT/other.crt', 'localhost', 'refused'],
  ['verify-full checks the chain and the name', 'sslmode=verify-full sslrootcert=ROOT/ca.crt', 'localhost', 't'],
  [
    'verify-full with a name the certificate does not have is refused',
    'sslmode=verify-full sslrootcert=ROOT/ca.crt',
    '127.0.0.1',
    'refused',
  ],
  [
    'verify-full with hostaddr checks the host name, not the address',
    'sslmode=verify-full sslrootcert=ROOT/ca.crt hostaddr=127.0.0.1',
    'localhost',
    't',
  ],
];

// Without openssl there is no certificate to serve: a visible skip.
const register = hasOpenssl ? test : test.skip;
for (const [what, settings, host, expected] of CASES) {
  register(`sslmode as libpq: ${what}${hasOpenssl ? '' : ' (no openssl on this machine)'}`, async (t) => {
    const conninfo = `host=${host} port=${server.port} user=postgres dbname=postgres ${settings.replaceAll('ROOT', dir)}`;
    t.is(await ours(conninfo), expected);
    if (existsSync(PSQL)) t.is(psql(conninfo), expected, 'psql differs');
  });
}
