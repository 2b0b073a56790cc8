// `load --single-transaction` (-1, as in psql): all of the script or nothing.
import test from 'ava';
import { join } from 'node:path';
import { SqlError, UsageError } from 'pgpatch';
import { runCli } from '../helpers/cli.mjs';
import { query, useDatabase } from '../helpers/database.mjs';
import { load, scriptDir } from './_scripts.mjs';

useDatabase(test);

const tables = async (t) =>
  (
    await query(t.context.db.url, "select relname from pg_class where relkind = 'r' and relnamespace = 'public'::regnamespace order by 1")
  ).rows.map((r) => r.relname);

test('an error in an included file leaves nothing: the error names its file and line', async (t) => {
  const dir = scriptDir(t, {
    'main.sql': 'create table a (id int);\n\\i more.sql\ncreate table c (id int);\n',
    'more.sql': "create table b (id int);\n\ninsert into b values ('x');\n",
  });
  const e = await t.throwsAsync(load(t, join(dir, 'main.sql'), { singleTransaction: true }), { instanceOf: SqlError });
  t.is(e.server.sqlstate, '22P02');
  t.is(e.statementLocation.file, join(dir, 'more.sql'));
  t.is(e.statementLocation.line, 3);
  t.deepEqual(await tables(t), [], 'a, created before the error, is gone too');

  // Without -1, like psql: what ran before the error stays.
  await t.throwsAsync(load(t, join(dir, 'main.sql')), { instanceOf: SqlError });
  t.deepEqual(await tables(t), ['a', 'b']);
});

test("a deferred constraint failing at the COMMIT is the script's error, at its end", async (t) => {
  const dir = scriptDir(t, {
    'main.sql':
      'create table p (id int primary key);\ncreate table c (p int references p deferrable initially deferred);\ninsert into c values (1);\n',
  });
  const r = await runCli(['load', '--dsn', t.context.db.url, '-1', 'main.sql'], { cwd: dir });
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, /main\.sql:3:1: ERROR:  insert or update on table "c" violates foreign key constraint/);
  t.regex(r.stderr, /CONTEXT:  at the COMMIT that pgpatch runs after the last statement/);
  t.deepEqual(await tables(t), []);
});

test('a script with its own transactions, or a statement that cannot run in one, is refused before anything runs', async (t) => {
  for (const text of [
    'create table a (id int);\nbegin;\ncreate table b (id int);\ncommit;\n',
    'create table a (id int);\ncreate index concurrently a_id on a (id);\n',
    'create table a (id int);\nbegin;\ncreate table b (id int);\n',
  ]) {
    const dir = scriptDir(t, { 'main.sql': text });
    const e = await t.throwsAsync(load(t, join(dir, 'main.sql'), { singleTransaction: true }), { instanceOf: UsageError });
    t.regex(e.message, /^cannot load .*main\.sql in one transaction \(.+\)$/);
    t.deepEqual(await tables(t), [], text);
  }
  const dir = scriptDir(t, { 'main.sql': 'begin;\ncommit;\n' });
  const r = await runCli(['load', '--dsn', t.context.db.url, '--single-transaction', 'main.sql'], { cwd: dir });
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, /hint: load it without --single-transaction/);
});

test('a script that loads: everything is there, with \\echo (statement by statement) or without (one message)', async (t) => {
  const plain = scriptDir(t, { 'main.sql': 'create table a (id int);\ninsert into a values (1);\n' });
  const r = await runCli(['load', '--dsn', t.context.db.url, '-1', 'main.sql'], { cwd: plain });
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /loaded 2 statements/);
  const echo = scriptDir(t, { 'main.sql': 'create table b (id int);\n\\echo made b\ninsert into b values (1);\n' });
  const r2 = await runCli(['load', '--dsn', t.context.db.url, '-1', '--force', 'main.sql'], { cwd: echo });
  t.is(r2.code, 0, r2.stderr);
  t.regex(r2.stdout, /^made b$/m);
  t.deepEqual(await tables(t), ['a', 'b']);
});

test('killed in the middle (kill -9), or run twice at once: never half a schema', async (t) => {
  const { spawn } = await import('node:child_process');
  const { CLI } = await import('../helpers/cli.mjs');
  const dir = scriptDir(t, { 'main.sql': 'create table a (id int);\nselect pg_sleep(30);\ncreate table b (id int);\n' });
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const child = spawn(process.execPath, [CLI, 'load', '--dsn', t.context.db.url, '-1', 'main.sql'], { cwd: dir, env, stdio: 'ignore' });
  const url = t.context.db.url;
  for (let i = 0; i < 600; i++) {
    const { rows } = await query(
      url,
      "select count(*)::int as n from pg_stat_activity where datname = current_database() and query like '%pg_sleep(30)%' and pid <> pg_backend_pid()",
    );
    if (rows[0].n) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  await new Promise((r) => child.on('close', r));
  // The server notices the dead client by itself within seconds (client_connection_check_interval),
  // well before pg_sleep(30) ends, and rolls back.
  const started = Date.now();
  for (;;) {
    const { rows } = await query(
      url,
      "select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and query like '%pg_sleep(30)%'",
    );
    if (!rows[0].n) break;
    if (Date.now() - started > 20000) t.fail('the orphaned session was still running after 20 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  t.true(Date.now() - started < 20000);
  t.deepEqual(await tables(t), [], 'a, created before the kill, was rolled back');

  const twice = scriptDir(t, { 'main.sql': 'create table a (id int);\nselect pg_sleep(0.5);\ncreate table b (id int);\n' });
  const [r1, r2] = await Promise.all([1, 2].map(() => runCli(['load', '--dsn', url, '-1', 'main.sql'], { cwd: twice })));
  // The loser fails whole: in the middle (3), or before it starts when the winner has already
  // committed and load finds the database not empty (2).
  const [won, lost] = [r1, r2].sort((x, y) => x.code - y.code);
  t.is(won.code, 0, won.stderr);
  t.true([2, 3].includes(lost.code), lost.stderr);
  t.regex(lost.stderr, /relation "a" already exists|duplicate key value|is not empty/);
  t.deepEqual(await tables(t), ['a', 'b']);
});
