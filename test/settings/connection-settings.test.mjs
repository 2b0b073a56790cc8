// Connection strings, service files and PG* variables read as libpq reads them, and sslmode as
// libpq, psql and Django mean it. No server needed: these check what pgpatch would ask `pg` for.
import test from 'ava';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConnectionSettingsError,
  describeConnection,
  parseConnectionString,
  passwordFromFile,
  resolveConnection,
  resolveTarget,
  sslPlan,
  targetFrom,
} from 'pgpatch';

function tempDir(t) {
  const dir = mkdtempSync(join(tmpdir(), 'pgpatch-conn-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A home folder with no ~/.postgresql, so no root certificate of the machine's user counts. */
const NO_HOME = '/nonexistent-home';

test('key/value strings: spaces around =, quoted values with escapes, as libpq', (t) => {
  t.deepEqual(parseConnectionString("host=db port = 5433 dbname='my app' password='it\\'s' user=bob\\ smith", '--dsn'), {
    host: 'db',
    port: '5433',
    dbname: 'my app',
    password: "it's",
    user: 'bob smith',
  });
});

test('key/value strings: an unknown keyword, a missing = or an open quote is refused', (t) => {
  t.throws(() => parseConnectionString('host=db colour=blue', '--dsn'), {
    instanceOf: ConnectionSettingsError,
    message: /invalid connection option "colour"/,
  });
  t.throws(() => parseConnectionString('host=db mydb', '--dsn'), {
    instanceOf: ConnectionSettingsError,
    message: /missing "=" after "mydb"/,
  });
  t.throws(() => parseConnectionString("host='db", '--dsn'), {
    instanceOf: ConnectionSettingsError,
    message: /unterminated quoted string/,
  });
});

test('URIs: user, password, host, port, database and parameters, percent-decoded', (t) => {
  t.deepEqual(
    parseConnectionString('postgresql://b%40b:p%3Aw@db.example:6432/my%20db?sslmode=require&application_name=x', 'DATABASE_URL'),
    {
      user: 'b@b',
      password: 'p:w',
      host: 'db.example',
      port: '6432',
      dbname: 'my db',
      sslmode: 'require',
      application_name: 'x',
    },
  );
  t.deepEqual(parseConnectionString('postgres://%2Fvar%2Frun%2Fpostgresql/app', 'x'), { host: '/var/run/postgresql', dbname: 'app' });
  t.deepEqual(parseConnectionString('postgresql://[::1]:5433/app', 'x'), { host: '::1', port: '5433', dbname: 'app' });
  t.deepEqual(parseConnectionString('postgresql:///app?host=/tmp', 'x'), { dbname: 'app', host: '/tmp' });
  t.is(parseConnectionString('postgresql://h/d?ssl=true', 'x').sslmode, 'require');
});

test('URIs: an unknown parameter and several hosts are refused, not ignored', (t) => {
  t.throws(() => parseConnectionString('postgresql://h/d?colour=blue', 'x'), { message: /invalid URI query parameter: "colour"/ });
  t.throws(() => parseConnectionString('postgresql://h1,h2/d', 'x'), { message: /several hosts/ });
  t.throws(() => parseConnectionString('postgresql://h/d?sslcrl=/x', 'x'), { message: /"sslcrl" is not supported/ });
});

test('the string wins over the service file, which wins over the PG* variables', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'services.conf');
  writeFileSync(file, '# ours\n[app]\nhost=svc-host\nport=6000\ndbname=svc-db\n\n[other]\nhost=wrong\n');
  const env = { PGSERVICEFILE: file, PGSYSCONFDIR: dir, PGHOST: 'env-host', PGPORT: '7000', PGUSER: 'env-user', PGDATABASE: 'env-db' };
  const r = resolveConnection('service=app dbname=from-string', '--dsn', env);
  t.deepEqual(r.info, { service: 'app', dbname: 'from-string', host: 'svc-host', port: '6000', user: 'env-user' });
  t.deepEqual(r.service, { name: 'app', file });
  // PGSERVICE alone names it too.
  t.is(resolveConnection(undefined, 'PG* variables', { ...env, PGSERVICE: 'app' }).info.host, 'svc-host');
});

test('the system service file (PGSYSCONFDIR) is read when the user file lacks the service', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'user.conf'), '[mine]\nhost=a\n');
  writeFileSync(join(dir, 'pg_service.conf'), '[shared]\nhost=b\n[mine]\nhost=c\n');
  const env = { PGSERVICEFILE: join(dir, 'user.conf'), PGSYSCONFDIR: dir };
  t.is(resolveConnection(undefined, 'x', { ...env, PGSERVICE: 'shared' }).info.host, 'b');
  t.is(resolveConnection(undefined, 'x', { ...env, PGSERVICE: 'mine' }).info.host, 'a');
});

test('a service that is defined nowhere is refused, naming the files looked in', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'user.conf'), '[other]\nhost=a\n');
  const e = t.throws(
    () => resolveConnection(undefined, 'x', { PGSERVICE: 'nope', PGSERVICEFILE: join(dir, 'user.conf'), PGSYSCONFDIR: dir }),
    { instanceOf: ConnectionSettingsError },
  );
  t.regex(e.message, /definition of service "nope" not found/);
  t.true(e.message.includes(join(dir, 'user.conf')) && e.message.includes(join(dir, 'pg_service.conf')), e.message);
});

test('a service file with a bad line is refused with file and line', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 's.conf');
  writeFileSync(file, '[app]\nhost=h\nnonsense\n');
  const e = t.throws(() => resolveConnection(undefined, 'x', { PGSERVICE: 'app', PGSERVICEFILE: file, PGSYSCONFDIR: dir }));
  t.true(e.message.startsWith(`service file ${file} line 3:`), e.message);
});

test('PGHOSTADDR connects to the address and keeps the host name for TLS', (t) => {
  const r = resolveConnection(undefined, 'x', { PGHOST: 'db.example', PGHOSTADDR: '10.1.2.3', PGSSLMODE: 'require' });
  t.is(r.info.hostaddr, '10.1.2.3');
  t.is(sslPlan(r.info, NO_HOME).tls.servername, 'db.example');
  t.throws(() => resolveConnection(undefined, 'x', { PGHOSTADDR: 'db.example' }), {
    message: /hostaddr=db.example: not a numeric IP address/,
  });
});

test('sslmode=require encrypts without verifying the certificate (node-pg alone would verify)', (t) => {
  const plan = sslPlan(parseConnectionString('host=db sslmode=require', 'x'), NO_HOME);
  t.deepEqual(plan.attempts, ['tls']);
  t.false(plan.tls.rejectUnauthorized);
  t.is(plan.tls.ca, undefined);
});

test('sslmode=require with sslrootcert verifies the chain but not the name, as verify-ca', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'ca.pem'), 'CA');
  const plan = sslPlan(parseConnectionString(`host=db sslmode=require sslrootcert=${join(dir, 'ca.pem')}`, 'x'), NO_HOME);
  t.true(plan.tls.rejectUnauthorized);
  t.is(plan.tls.ca, 'CA');
  t.is(typeof plan.tls.checkServerIdentity, 'function');
});

test('verify-ca checks the chain only; verify-full the chain and the host name', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'ca.pem'), 'CA');
  const ca = sslPlan(parseConnectionString(`host=db sslmode=verify-ca sslrootcert=${join(dir, 'ca.pem')}`, 'x'), NO_HOME);
  t.true(ca.tls.rejectUnauthorized);
  t.is(typeof ca.tls.checkServerIdentity, 'function');
  const full = sslPlan(parseConnectionString(`host=db sslmode=verify-full sslrootcert=${join(dir, 'ca.pem')}`, 'x'), NO_HOME);
  t.true(full.tls.rejectUnauthorized);
  t.is(full.tls.checkServerIdentity, undefined);
  t.is(full.tls.ca, 'CA');
  const system = sslPlan(parseConnectionString('host=db sslmode=verify-full sslrootcert=system', 'x'), NO_HOME);
  t.true(system.tls.rejectUnauthorized);
  t.is(system.tls.ca, undefined);
});

test('verify-ca and verify-full without a root certificate are refused, as libpq does', (t) => {
  for (const mode of ['verify-ca', 'verify-full']) {
    t.throws(() => sslPlan(parseConnectionString(`host=db sslmode=${mode}`, 'x'), NO_HOME), {
      instanceOf: ConnectionSettingsError,
      message: /needs a root certificate/,
    });
  }
});

test('~/.postgresql/root.crt and the client certificate are used as libpq uses them', (t) => {
  const home = tempDir(t);
  const dir = join(home, '.postgresql');
  mkdirSync(dir);
  writeFileSync(join(dir, 'root.crt'), 'ROOT');
  writeFileSync(join(dir, 'postgresql.crt'), 'CERT');
  writeFileSync(join(dir, 'postgresql.key'), 'KEY');
  chmodSync(join(dir, 'postgresql.key'), 0o600);
  const plan = sslPlan(parseConnectionString('host=db sslmode=require', 'x'), home);
  t.true(plan.tls.rejectUnauthorized);
  t.is(plan.tls.ca, 'ROOT');
  t.is(plan.tls.cert, 'CERT');
  t.is(plan.tls.key, 'KEY');
});

test('prefer (the default) tries TLS then plain; allow plain then TLS; disable and Unix sockets plain only', (t) => {
  const plan = (s) => sslPlan(parseConnectionString(s, 'x'), NO_HOME);
  t.deepEqual(plan('host=db').attempts, ['tls', 'plain']);
  t.false(plan('host=db').tls.rejectUnauthorized);
  t.deepEqual(plan('host=db sslmode=prefer').attempts, ['tls', 'plain']);
  t.deepEqual(plan('host=db sslmode=allow').attempts, ['plain', 'tls']);
  t.deepEqual(plan('host=db sslmode=disable').attempts, ['plain']);
  t.deepEqual(plan('host=/var/run/postgresql sslmode=require').attempts, ['plain']);
});

test('an sslmode libpq does not know is refused, also from PGSSLMODE', (t) => {
  t.throws(() => resolveConnection('host=db sslmode=no-verify', '--dsn', {}), { message: /sslmode=no-verify: invalid sslmode value/ });
  t.throws(() => resolveConnection('host=db', '--dsn', { PGSSLMODE: 'true' }), { message: /sslmode=true/ });
  t.is(resolveConnection('host=db', '--dsn', { PGSSLMODE: 'disable' }).info.sslmode, 'disable');
});

test('the description is a URI with the password masked, and names the service file', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 's.conf');
  writeFileSync(file, '[app]\nhost=db\nport=6000\npassword=secret\n');
  const r = resolveConnection('dbname=app user=bob', '--dsn', { PGSERVICE: 'app', PGSERVICEFILE: file, PGSYSCONFDIR: dir });
  t.is(describeConnection(r), `postgresql://bob:*****@db:6000/app (service app in ${file})`);
  t.is(describeConnection(resolveConnection('host=/tmp dbname=x sslmode=disable', 'x', {})), 'postgresql:///x?host=%2Ftmp&sslmode=disable');
});

test('resolveTarget refuses a string or variable it cannot honour before any command runs', (t) => {
  t.throws(() => resolveTarget({ dsn: 'host=db colour=blue' }, {}), {
    instanceOf: ConnectionSettingsError,
    message: /^--dsn: invalid connection option "colour"/,
  });
  t.throws(() => resolveTarget({}, { DATABASE_URL: 'postgresql://h/d?sslmode=nope' }), {
    instanceOf: ConnectionSettingsError,
    message: /^DATABASE_URL: sslmode=nope/,
  });
  t.throws(() => resolveTarget({}, { PGHOSTADDR: 'db.example' }), { instanceOf: ConnectionSettingsError });
  t.deepEqual(resolveTarget({ dsn: 'host=db dbname=app' }, {}), targetFrom('host=db dbname=app', '--dsn', {}));
});

test('the password file is searched with the host name when hostaddr is given, as libpq', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'pgpass');
  writeFileSync(file, 'db.example:5432:app:bob:by-name\n10.0.0.1:5432:app:bob:by-address\nlocalhost:5432:app:bob:by-socket\n');
  chmodSync(file, 0o600);
  const env = { PGPASSFILE: file };
  const info = (s) => ({ ...resolveConnection(s, 'x', env).info, passfile: file });
  t.is(await passwordFromFile(info('host=db.example hostaddr=10.0.0.1 dbname=app user=bob'), env), 'by-name');
  t.is(await passwordFromFile(info('hostaddr=10.0.0.1 dbname=app user=bob'), env), 'by-address');
  t.is(await passwordFromFile(info('host=/var/run/postgresql dbname=app user=bob'), env), 'by-socket');
  t.is(await passwordFromFile(info('host=other dbname=app user=bob'), env), undefined);
});
