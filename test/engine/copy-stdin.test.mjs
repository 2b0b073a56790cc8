// `COPY ... FROM stdin` with its data in the script, ended by a line `\.`, as pg_dump writes it
// and as configuration-table files keep it: loaded as `psql -f` loads it (compared with real
// psql on each server), and an error in the data points at the data row's line.
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { compileScript, SqlError, targetFrom } from 'pgpatch';
import { runCli } from '../helpers/cli.mjs';
import { cleanEnv, freshDatabase, mainServer, query } from '../helpers/database.mjs';
import { eachServer } from '../helpers/servers.mjs';
import { scriptDir } from './_scripts.mjs';

const run = promisify(execFile);
const PSQL = '/usr/lib/postgresql/15/bin/psql';

// Text format with NULLs, escapes and a tab in a value; a statement after `;` on the COPY's own
// line, which psql runs after the data; a COPY ended by `\g`; data up to the end of the file.
const TABLES = [
  'create table conf (id int primary key, name text, note text);',
  'create table csvt (id int, body text);',
  'create table log (what text);',
];
const SCRIPT =
  [
    ...TABLES,
    "copy conf (id, name, note) from stdin; insert into log values ('after the first copy');",
    '1\tone\t\\N',
    '2\ttwo\ta\\ttab and a backslash \\\\ here',
    '3\tthree; not a statement\t-- not a comment',
    '\\.',
    "insert into log values ('between');",
    'copy conf (id, name) from stdin \\g',
    '4\tfour',
    '\\.',
    "insert into log values ('after the \\g copy')",
    ';',
    'copy log from stdin;',
    'at the end of the file',
  ].join('\n') + '\n';

const snapshot = async (url) => ({
  conf: (await query(url, 'select * from conf order by id')).rows,
  csvt: (await query(url, 'select * from csvt order by id')).rows,
  log: (await query(url, 'select what from log order by ctid')).rows.map((r) => r.what),
});

async function loadBoth(t, server, script) {
  const dir = scriptDir(t, { 'data.sql': script });
  const ours = await freshDatabase(t, server.url);
  const r = await runCli(['load', '--dsn', ours.url, 'data.sql'], { cwd: dir });
  t.is(r.code, 0, r.stderr);
  const got = await snapshot(ours.url);
  // psql 15 sends the `\.` line to the server; a PostgreSQL 18 server reads it as data in CSV
  // (psql 18 does not send it), so psql 15 is compared with its own server only.
  if (existsSync(PSQL) && (server.major === 15 || !script.includes('format csv'))) {
    const theirs = await freshDatabase(t, server.url);
    await run(PSQL, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', 'data.sql', theirs.url], { cwd: dir, env: cleanEnv() });
    t.deepEqual(got, await snapshot(theirs.url));
  }
  return got;
}

eachServer(test, 'COPY FROM stdin with data in the script loads as psql -f loads it', async (t, server) => {
  const got = await loadBoth(t, server, SCRIPT);
  // What both made is what the script means (so the comparison is not of two empty tables).
  t.deepEqual(
    got.conf.map((c) => c.note),
    [null, 'a\ttab and a backslash \\ here', '-- not a comment', null],
  );
  t.deepEqual(got.log, ['after the first copy', 'between', 'after the \\g copy', 'at the end of the file']);
});

eachServer(test, 'COPY FROM stdin in CSV: a quoted field over several lines, a `\\.` that is not alone', async (t, server) => {
  const got = await loadBoth(
    t,
    server,
    [...TABLES, 'copy csvt from stdin with (format csv);', '1,"first line', 'second line \\. not alone"', '2,plain', '\\.', ''].join('\n'),
  );
  t.deepEqual(got.csvt, [
    { id: 1, body: 'first line\nsecond line \\. not alone' },
    { id: 2, body: 'plain' },
  ]);
});

test('the data is one step; the statements around it are split as before', (t) => {
  const dir = scriptDir(t, { 'data.sql': SCRIPT });
  const steps = compileScript(join(dir, 'data.sql')).steps;
  t.deepEqual(
    steps.map((s) => s.kind),
    ['sql', 'sql', 'sql', 'copy', 'sql', 'sql', 'copy', 'sql', 'copy'],
  );
  const [first] = steps.filter((s) => s.kind === 'copy');
  t.is(first.inline.text, '1\tone\t\\N\n2\ttwo\ta\\ttab and a backslash \\\\ here\n3\tthree; not a statement\t-- not a comment\n');
  t.is(first.file.locate(first.inline.start).line, 5);
});

test("a bad data row is an SQL error at that row's line, and nothing after the COPY runs", async (t) => {
  const db = await freshDatabase(t, mainServer().url);
  const dir = scriptDir(t, {
    'main.sql': 'create table t (id int, name text);\n\\i conf/rows.sql\ncreate table after_it (id int);\n',
    'conf/rows.sql': '-- rows\ncopy t from stdin;\n1\tone\n2\ttwo\nthree\tthree\n4\tfour\n\\.\n',
  });
  const r = await runCli(['load', '--dsn', db.url, 'main.sql'], { cwd: dir });
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, /conf\/rows\.sql:5:1: ERROR: {2}invalid input syntax for type integer: "three" \(SQLSTATE 22P02\)/);
  t.regex(r.stderr, /included from main\.sql:2/);
  t.regex(r.stderr, /5 \| three\tthree/);
  t.regex(r.stderr, /CONTEXT: {2}COPY t, line 3/);
  t.deepEqual((await query(db.url, 'select count(*)::int as n from t')).rows, [{ n: 0 }]);
  t.deepEqual((await query(db.url, "select to_regclass('after_it') as r")).rows, [{ r: null }]);
});

test('a COPY error without a row (a missing table) is at the COPY statement', async (t) => {
  const { loadScript } = await import('pgpatch');
  const db = await freshDatabase(t, mainServer().url);
  const dir = scriptDir(t, { 'main.sql': '\n\ncopy nothere from stdin;\n1\n\\.\n' });
  const e = await t.throwsAsync(loadScript({ target: targetFrom(db.url, 't'), entry: join(dir, 'main.sql') }), {
    instanceOf: SqlError,
  });
  t.is(e.server.sqlstate, '42P01');
  t.is(e.statementLocation.line, 3);
});

test('-1 loads a script with COPY FROM stdin in one transaction: a bad row leaves nothing', async (t) => {
  const db = await freshDatabase(t, mainServer().url);
  const dir = scriptDir(t, { 'main.sql': 'create table t (id int);\ncopy t from stdin;\n1\n2\n\\.\ncopy t from stdin;\nx\n\\.\n' });
  const r = await runCli(['load', '--dsn', db.url, '-1', 'main.sql'], { cwd: dir });
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, /main\.sql:7:1: ERROR/);
  t.deepEqual((await query(db.url, "select to_regclass('t') as r")).rows, [{ r: null }]);
});

eachServer(test, '\\copy ... from stdin in a script reads the rows from the script too, as psql does', async (t, server) => {
  const got = await loadBoth(
    t,
    server,
    [...TABLES, '\\copy conf (id, name) from stdin', '7\tseven', '\\.', "insert into log values ('after');", ''].join('\n'),
  );
  t.deepEqual(got.conf, [{ id: 7, name: 'seven', note: null }]);
  t.deepEqual(got.log, ['after']);
});

test('sqlmigrate --expand shows the inline data, ended by \\., so the output runs in psql', async (t) => {
  const { makeProject } = await import('../helpers/project.mjs');
  const p = makeProject({ patches: { '2024-01-01_rows.sql': 'copy conf from stdin;\na\tb\n\\.\nselect 1;\n' } });
  t.teardown(() => p.cleanup());
  const r = await runCli(['sqlmigrate', '--expand', '2024-01-01_rows'], { cwd: p.dir });
  t.is(r.code, 0, r.stderr);
  t.is(
    r.stdout,
    '-- schema/patches/2024-01-01_rows.sql:1\ncopy conf from stdin;\na\tb\n\\.\n\n-- schema/patches/2024-01-01_rows.sql:4\nselect 1;\n',
  );
});
