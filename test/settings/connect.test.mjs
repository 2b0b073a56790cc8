// The database the user meant: with the same string and environment, pgpatch reaches the
// database psql reaches (PostgreSQL 15's psql is the reference), or refuses before connecting.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { createServer, connect as tcpConnect } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, targetFrom } from 'pgpatch';
import { runCli } from '../helpers/cli.mjs';
import { query, useDatabase } from '../helpers/database.mjs';

useDatabase(test);

const PSQL = '/usr/lib/postgresql/15/bin/psql';
const CLEARED = [
  'DATABASE_URL',
  'PGHOST',
  'PGHOSTADDR',
  'PGPORT',
  'PGDATABASE',
  'PGUSER',
  'PGPASSWORD',
  'PGSERVICE',
  'PGSERVICEFILE',
  'PGSYSCONFDIR',
  'PGSSLMODE',
  'PGAPPNAME',
  'PGOPTIONS',
  'NODE_EXTRA_CA_CERTS',
];

/** A folder with the script that says where it ran, and room for service files. */
function setup(t) {
  const dir = mkdtempSync(join(tmpdir(), 'pgpatch-connect-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'where.sql'), '\\echo :DBNAME :PORT\n');
  const url = new URL(t.context.db.url);
  return { dir, host: url.hostname, port: url.port, user: decodeURIComponent(url.username), db: t.context.db.name };
}

function cleanEnv(env) {
  const clean = { ...process.env };
  for (const k of CLEARED) delete clean[k];
  return { ...clean, ...env };
}

/** Where pgpatch goes: "dbname port", or the failed run. */
async function pgpatchWhere(s, env, args = []) {
  const r = await runCli([...args, 'load', 'where.sql'], { cwd: s.dir, env: cleanEnv(env) });
  return r.code === 0 ? r.stdout.trim() : { code: r.code, stderr: r.stderr };
}

/** Where psql goes with the same environment (and the same string, as its dbname argument). */
function psqlWhere(s, env, dsn) {
  const r = spawnSync(PSQL, ['-XAt', '-c', "select current_database() || ' ' || current_setting('port')", ...(dsn ? [dsn] : [])], {
    cwd: s.dir,
    env: cleanEnv(env),
    encoding: 'utf8',
  });
  return r.status === 0 ? r.stdout.trim() : { code: r.status, stderr: r.stderr };
}

const hasPsql = existsSync(PSQL);

async function sameAsPsql(t, s, env, dsn) {
  const ours = await pgpatchWhere(s, env, dsn ? ['--dsn', dsn] : []);
  t.is(ours, `${s.db} ${s.port}`, JSON.stringify(ours));
  if (hasPsql) t.is(psqlWhere(s, env, dsn), ours, 'psql went elsewhere');
}

test('PGSERVICE with PGSERVICEFILE: the service file wins over the PG* variables, as with psql', async (t) => {
  const s = setup(t);
  const file = join(s.dir, 'services.conf');
  writeFileSync(file, `[app]\nhost=${s.host}\nport=${s.port}\nuser=${s.user}\ndbname=${s.db}\n`);
  await sameAsPsql(t, s, { PGSERVICE: 'app', PGSERVICEFILE: file, PGSYSCONFDIR: s.dir, PGDATABASE: 'postgres', PGHOST: 'wrong.invalid' });
});

test('PGSERVICE found in PGSYSCONFDIR/pg_service.conf', async (t) => {
  const s = setup(t);
  writeFileSync(join(s.dir, 'pg_service.conf'), `[shared]\nhost=${s.host}\nport=${s.port}\nuser=${s.user}\ndbname=${s.db}\n`);
  await sameAsPsql(t, s, { PGSERVICE: 'shared', HOME: s.dir, PGSYSCONFDIR: s.dir });
});

test('a PGSERVICEFILE that is not there is refused, as psql does', async (t) => {
  const s = setup(t);
  writeFileSync(join(s.dir, 'pg_service.conf'), `[shared]\nhost=${s.host}\nport=${s.port}\nuser=${s.user}\ndbname=${s.db}\n`);
  const env = { PGSERVICE: 'shared', PGSERVICEFILE: join(s.dir, 'none.conf'), PGSYSCONFDIR: s.dir };
  const r = await pgpatchWhere(s, env);
  t.is(r.code, 2, JSON.stringify(r));
  t.regex(r.stderr, /service file ".*none.conf" not found/);
  if (hasPsql) t.not(psqlWhere(s, env).code, 0);
});

test('~/.pg_service.conf is the user service file by default', async (t) => {
  const s = setup(t);
  writeFileSync(join(s.dir, '.pg_service.conf'), `[home]\nhost=${s.host}\nport=${s.port}\nuser=${s.user}\ndbname=${s.db}\n`);
  t.is(await pgpatchWhere(s, { HOME: s.dir, PGSERVICE: 'home', PGSYSCONFDIR: s.dir }), `${s.db} ${s.port}`);
});

test('service= in a key/value --dsn, the string overriding the service file', async (t) => {
  const s = setup(t);
  const file = join(s.dir, 'services.conf');
  writeFileSync(file, `[app]\nhost=${s.host}\nport=${s.port}\nuser=${s.user}\ndbname=postgres\n`);
  await sameAsPsql(t, s, { PGSERVICEFILE: file, PGSYSCONFDIR: s.dir }, `service=app dbname=${s.db}`);
});

test('an unknown PGSERVICE is refused before connecting, naming the files looked in', async (t) => {
  const s = setup(t);
  const env = { PGSERVICE: 'nope', HOME: s.dir, PGSYSCONFDIR: s.dir, PGHOST: s.host, PGPORT: s.port };
  const r = await pgpatchWhere(s, env);
  t.is(r.code, 2);
  t.regex(r.stderr, /definition of service "nope" not found/);
  t.true(r.stderr.includes(join(s.dir, 'pg_service.conf')) || r.stderr.includes(join(s.dir, '.pg_service.conf')), r.stderr);
  if (hasPsql) t.not(psqlWhere(s, env).code, 0);
});

test('PGHOSTADDR is the address connected to; PGHOST is only its name', async (t) => {
  const s = setup(t);
  await sameAsPsql(t, s, { PGHOSTADDR: s.host, PGHOST: 'db.invalid', PGPORT: s.port, PGUSER: s.user, PGDATABASE: s.db });
});

test('a key/value connection string in --dsn and in DATABASE_URL', async (t) => {
  const s = setup(t);
  const dsn = `host=${s.host} port=${s.port} user=${s.user} dbname='${s.db}'`;
  await sameAsPsql(t, s, {}, dsn);
  t.is(await pgpatchWhere(s, { DATABASE_URL: dsn }), `${s.db} ${s.port}`);
});

test('sslmode=disable, prefer and allow reach a server without TLS; require is refused, not sent in the clear', async (t) => {
  const s = setup(t);
  for (const mode of ['disable', 'prefer', 'allow']) {
    await sameAsPsql(t, s, {}, `postgresql://${s.user}@${s.host}:${s.port}/${s.db}?sslmode=${mode}`);
  }
  const r = await pgpatchWhere(s, { PGSSLMODE: 'require' }, ['--dsn', `host=${s.host} port=${s.port} user=${s.user} dbname=${s.db}`]);
  t.is(r.code, 4, JSON.stringify(r));
  t.regex(r.stderr, /does not support SSL/);
});

test('pre scripts get the resolved connection as a URI in PATCH_DSN, not the service name', async (t) => {
  const s = setup(t);
  const file = join(s.dir, 'services.conf');
  writeFileSync(file, `[app]\nhost=${s.host}\nport=${s.port}\nuser=${s.user}\ndbname=${s.db}\n`);
  mkdirSync(join(s.dir, 'schema', 'patches'), { recursive: true });
  writeFileSync(join(s.dir, 'schema', 'database.sql'), '');
  const env = cleanEnv({ PGSERVICE: 'app', PGSERVICEFILE: file, PGSYSCONFDIR: s.dir });
  // The first run on an empty database builds it from the schema files and starts the record.
  t.is((await runCli(['migrate'], { cwd: s.dir, env })).code, 0);
  writeFileSync(join(s.dir, 'schema', 'patches', '2024-01-01_a.sql'), 'create table a (id int);\n');
  writeFileSync(join(s.dir, 'schema', 'patches', '2024-01-01_a.pre.sh'), '#!/bin/sh\nprintf %s "$PATCH_DSN" > dsn.txt\n', { mode: 0o755 });
  const r = await runCli(['migrate'], { cwd: s.dir, env });
  t.is(r.code, 0, r.stderr);
  t.is(readFileSync(join(s.dir, 'schema', 'patches', 'dsn.txt'), 'utf8'), `postgresql://${s.user}@${s.host}:${s.port}/${s.db}`);
});

test('without a host, the server listening on the default socket folder, as libpq', async (t) => {
  const s = setup(t);
  const { rows } = await query(t.context.db.url, "select split_part(current_setting('unix_socket_directories'), ',', 1) as dir");
  const link = `/tmp/.s.PGSQL.${s.port}`;
  if (existsSync(link)) return t.fail(`${link} exists already`);
  symlinkSync(join(rows[0].dir.trim(), `.s.PGSQL.${s.port}`), link);
  t.teardown(() => rmSync(link, { force: true }));
  const env = { PGPORT: s.port, PGUSER: s.user, PGDATABASE: s.db };
  t.is(await pgpatchWhere(s, env), `${s.db} ${s.port}`);
  const r = await runCli(['load', 'where.sql'], { cwd: s.dir, env: cleanEnv(env) });
  t.true(r.stderr.includes(`pgpatch: loading into postgresql://${s.user}@:${s.port}/${s.db}?host=%2Ftmp\n`), r.stderr);
});

test('sslmode=prefer to a server without TLS goes on in plain text on the same connection, as libpq', async (t) => {
  const s = setup(t);
  // A relay that counts the TCP connections made to the server through it.
  let connections = 0;
  const relay = createServer((client) => {
    connections++;
    const upstream = tcpConnect(Number(s.port), s.host);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise((resolve) => relay.listen(0, '127.0.0.1', resolve));
  t.teardown(() => relay.close());
  const session = await connect(
    targetFrom(`host=127.0.0.1 port=${relay.address().port} user=${s.user} dbname=${s.db} sslmode=prefer`, 'test'),
  );
  try {
    const { rows } = await session.query('select current_database() as db, ssl from pg_stat_ssl where pid = pg_backend_pid()');
    t.deepEqual(rows, [{ db: s.db, ssl: false }]);
  } finally {
    await session.end();
  }
  t.is(connections, 1);
});
