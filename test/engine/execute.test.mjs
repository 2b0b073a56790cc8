// Running a script as `psql -X -v ON_ERROR_STOP=1 -f` does: autocommit unless the script says
// BEGIN, stop at the first error, notices shown, \copy from files, -v variables; and no password
// in any output.
import test from 'ava';
import { join } from 'node:path';
import { FileError, SqlError } from 'pgpatch';
import { runCli } from '../helpers/cli.mjs';
import { query, useDatabase } from '../helpers/database.mjs';
import { load, loadText, scriptDir } from './_scripts.mjs';

useDatabase(test);

const rows = async (t, sql) => (await query(t.context.db.url, sql)).rows;

test('an error inside BEGIN rolls back the transaction; earlier autocommitted statements stay', async (t) => {
  const sql = `create table a (id int);
insert into a values (1);
begin;
insert into a values (2);
create table b (id int);
select 1 / 0;
commit;
insert into a values (3);
`;
  const e = await t.throwsAsync(loadText(t, sql), { instanceOf: SqlError });
  t.is(e.server.sqlstate, '22012');
  t.is(e.statementLocation.line, 6);
  t.deepEqual(await rows(t, 'select id from a'), [{ id: 1 }]);
  t.deepEqual(await rows(t, "select to_regclass('b') as b"), [{ b: null }]);
});

test('a committed transaction stays when a later statement fails', async (t) => {
  const sql = 'create table a (id int);\nbegin;\ninsert into a values (1);\ncommit;\ninsert into a values (0 / 0);\n';
  await t.throwsAsync(loadText(t, sql), { instanceOf: SqlError });
  t.deepEqual(await rows(t, 'select id from a'), [{ id: 1 }]);
});

test('a transaction left open at the end of the script is rolled back, as when psql exits', async (t) => {
  await loadText(t, 'create table a (id int);\nbegin;\ninsert into a values (1);\n');
  t.deepEqual(await rows(t, 'select id from a'), []);
});

test("server notices are reported as events with the statement's location", async (t) => {
  const dir = scriptDir(t, {
    'main.sql': 'select 1;\n\\i notices.sql\n',
    'notices.sql':
      "-- first\ndo $$ begin raise notice 'hi %', 42; end $$;\ndo $$ begin\n  raise warning 'careful' using detail = 'some detail', hint = 'a hint';\nend $$;\n",
  });
  const r = await load(t, join(dir, 'main.sql'));
  const notices = r.events.filter((e) => e.type === 'notice');
  t.is(notices.length, 2);
  t.like(notices[0], {
    notice: { severity: 'NOTICE', message: 'hi 42', sqlstate: '00000' },
    location: { file: join(dir, 'notices.sql'), line: 2 },
  });
  t.like(notices[1], { notice: { severity: 'WARNING', message: 'careful', detail: 'some detail', hint: 'a hint' }, location: { line: 3 } });
});

test('the CLI prints notices to stderr and \\echo to stdout', async (t) => {
  const dir = scriptDir(t, { 'main.sql': "\\echo starting\ndo $$ begin raise notice 'hello from the server'; end $$;\n" });
  const r = await runCli(['load', '--dsn', t.context.db.url, 'main.sql'], { cwd: dir });
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'starting\n');
  t.regex(r.stderr, /^main\.sql:2: NOTICE: {2}hello from the server$/m);
});

test('\\copy ... from a file relative to the script loads the rows', async (t) => {
  const dir = scriptDir(t, {
    'main.sql': 'create table country (code text primary key, name text, note text);\n\\i config/countries.sql\n',
    'config/countries.sql':
      "\\copy country from 'countries.csv' with (format csv, header true)\n\\copy country (code, name) from countries2.csv with (format csv);\n",
    'config/countries.csv': 'code,name,note\nfr,France,\nbe,"Belgium, Kingdom of","has ""quotes"""\n',
    'config/countries2.csv': 'nl,Netherlands\n',
  });
  const r = await load(t, join(dir, 'main.sql'));
  t.is(r.rowsCopied, 3);
  t.deepEqual(await rows(t, 'select * from country order by code'), [
    { code: 'be', name: 'Belgium, Kingdom of', note: 'has "quotes"' },
    { code: 'fr', name: 'France', note: null },
    { code: 'nl', name: 'Netherlands', note: null },
  ]);
});

test('\\copy from a missing file names the file and the \\copy line', async (t) => {
  const dir = scriptDir(t, { 'main.sql': 'create table t (id int);\n\n\\copy t from data/none.csv\n' });
  const e = await t.throwsAsync(load(t, join(dir, 'main.sql')), { instanceOf: FileError });
  t.is(e.path, join(dir, 'data/none.csv'));
  t.deepEqual(e.location, { file: join(dir, 'main.sql'), line: 3, column: 1 });
});

test('a \\copy the server refuses is an SQL error at the \\copy line', async (t) => {
  const dir = scriptDir(t, {
    'main.sql': 'create table t (id int);\n\\copy t from bad.csv with (format csv)\n',
    'bad.csv': '1\nnot a number\n',
  });
  const e = await t.throwsAsync(load(t, join(dir, 'main.sql')), { instanceOf: SqlError });
  t.is(e.server.sqlstate, '22P02');
  t.is(e.statementLocation.line, 2);
  t.deepEqual(await rows(t, 'select count(*)::int as n from t'), [{ n: 0 }]);
});

test('CLI -v name=value sets psql variables', async (t) => {
  const dir = scriptDir(t, { 'main.sql': "create table :tbl (v text);\ninsert into :tbl values (:'val');\n" });
  const r = await runCli(['load', '--dsn', t.context.db.url, 'main.sql', '-v', 'tbl=from_cli', '-v', "val=it's"], { cwd: dir });
  t.is(r.code, 0, r.stderr);
  t.deepEqual(await rows(t, 'select v from from_cli'), [{ v: "it's" }]);
});

test('CLI -v name=value before FILE, as with psql', async (t) => {
  const dir = scriptDir(t, { 'main.sql': 'create table :tbl (v text);\n' });
  const r = await runCli(['load', '--dsn', t.context.db.url, '-v', 'tbl=before_file', '-v', 'x=1', 'main.sql'], { cwd: dir });
  t.is(r.code, 0, r.stderr);
  t.deepEqual(await rows(t, "select to_regclass('before_file') is not null as ok"), [{ ok: true }]);
});

test("psql's DBNAME, USER, PORT and HOST variables are set", async (t) => {
  await loadText(t, "create table v as select :'DBNAME'::text as db, :'USER'::text as usr, :'PORT'::int as port, :'HOST'::text as host;\n");
  const [{ current_database: db }] = await rows(t, 'select current_database()');
  const url = new URL(t.context.db.url);
  t.deepEqual(await rows(t, 'select db, usr, port, host from v'), [{ db, usr: 'postgres', port: Number(url.port), host: url.hostname }]);
});

test('passwords never appear in the output, whatever the output mode', async (t) => {
  const dir = scriptDir(t, { 'main.sql': 'select 1;\n' });
  const dsn = 'postgresql://postgres:secret@127.0.0.1:1/x';
  for (const extra of [[], ['--verbose'], ['--json']]) {
    const r = await runCli(['load', '--dsn', dsn, ...extra, 'main.sql'], { cwd: dir });
    t.is(r.code, 4, `${extra}: ${r.stderr}`);
    t.false((r.stdout + r.stderr).includes('secret'), `${extra}: ${r.stdout}${r.stderr}`);
    t.true(r.stderr.includes('postgresql://postgres:*****@127.0.0.1:1/x'), r.stderr);
  }
  // The same through DATABASE_URL, and with the password as a URL parameter.
  const viaEnv = await runCli(['load', 'main.sql'], { cwd: dir, env: { DATABASE_URL: 'postgresql://u@127.0.0.1:1/x?password=secret' } });
  t.is(viaEnv.code, 4);
  t.false((viaEnv.stdout + viaEnv.stderr).includes('secret'), viaEnv.stderr);
});
