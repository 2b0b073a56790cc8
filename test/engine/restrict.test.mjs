// `\restrict KEY` / `\unrestrict KEY`, which pg_dump writes since the 2025 minor releases (15.14,
// 16.10, 17.6, 18): a fresh pg_dump loads through pgpatch into an empty database and dumps the
// same; while restricted, other backslash commands are refused as psql refuses them.
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { compileScript, MetaCommandError } from 'pgpatch';
import { runCli } from '../helpers/cli.mjs';
import { cleanEnv, freshDatabase, query } from '../helpers/database.mjs';
import { eachServer } from '../helpers/servers.mjs';
import { scriptDir } from './_scripts.mjs';

const run = promisify(execFile);
const PG_DUMP = '/usr/lib/postgresql/15/bin/pg_dump';

const dump = async (url) => (await run(PG_DUMP, ['--no-sync', url], { env: cleanEnv(), maxBuffer: 64 << 20 })).stdout;
/** A dump without what differs between two dumps of equal databases: the random key, versions. */
const comparable = (text) =>
  text
    .split('\n')
    .filter((l) => !/^\\(un)?restrict /.test(l) && !/^-- Dumped (from|by) /.test(l))
    .join('\n');

// pg_dump 15 dumps servers up to 15 only (there is no pg_dump 18 on these machines).
eachServer(
  test,
  'a pg_dump with \\restrict and COPY data loads into an empty database and dumps the same',
  async (t, server) => {
    if (!existsSync(PG_DUMP)) return t.pass(`no ${PG_DUMP}`);
    const source = await freshDatabase(t, server.url);
    await query(
      source.url,
      `
    create schema app;
    create table app.conf (id serial primary key, name text not null, note text, tags text[], at timestamptz default now());
    insert into app.conf (name, note, tags) values ('one', null, '{a,b}'), ('tab	in it', 'back\\slash', '{}'), ('line
break', E'\\\\.', null);
    create function app.f() returns int language plpgsql as $$ begin return (select count(*) from app.conf); end $$;
    create view app.v as select name from app.conf;
    create table app.empty (id int);`,
    );
    const text = await dump(source.url);
    t.regex(text, /^\\restrict \S+$/m);
    t.regex(text, /^COPY app\.conf .* FROM stdin;$/m);
    const dir = scriptDir(t, { 'dump.sql': text });
    const target = await freshDatabase(t, server.url);
    const r = await runCli(['load', '--dsn', target.url, 'dump.sql'], { cwd: dir });
    t.is(r.code, 0, r.stderr);
    t.is(comparable(await dump(target.url)), comparable(text));
    t.deepEqual((await query(target.url, 'select app.f() as n')).rows, [{ n: 3 }]);
  },
  { only: ['pg15'] },
);

const compileText = (t, text) => {
  const dir = scriptDir(t, { 'main.sql': text });
  return () => compileScript(join(dir, 'main.sql'));
};

test('while restricted, another backslash command is refused at its line, before anything runs', async (t) => {
  const dir = scriptDir(t, { 'main.sql': 'create table before_it (id int);\n\\restrict abc\nselect 1;\n\\echo hi\n\\unrestrict abc\n' });
  const db = await freshDatabase(t, (await import('../helpers/database.mjs')).mainServer().url);
  const r = await runCli(['load', '--dsn', db.url, 'main.sql'], { cwd: dir });
  t.is(r.code, 3);
  t.regex(r.stderr, /main\.sql:4:1: error: \\echo: backslash commands are restricted; only \\unrestrict is allowed/);
  t.deepEqual((await query(db.url, "select to_regclass('before_it') as r")).rows, [{ r: null }]);
});

test('while restricted, \\i is refused too (psql would not read the file)', (t) => {
  const dir = scriptDir(t, { 'main.sql': '\\restrict k\n\\i other.sql\n', 'other.sql': 'select 1;\n' });
  const e = t.throws(() => compileScript(join(dir, 'main.sql')), { instanceOf: MetaCommandError });
  t.is(e.command, 'i');
  t.is(e.location.line, 2);
});

test("\\unrestrict with the wrong key, without \\restrict, or without a key: psql's errors", (t) => {
  const cases = [
    ['\\restrict abc\n\\unrestrict abd\n', 'unrestrict', 'wrong key'],
    ['select 1;\n\\unrestrict abc\n', 'unrestrict', 'not currently in restricted mode'],
    ['\\restrict\n', 'restrict', 'missing required argument'],
    ['\\restrict abc\n\\unrestrict\n', 'unrestrict', 'missing required argument'],
    ['\\restrict abc\n\\restrict abc\n', 'restrict', 'backslash commands are restricted; only \\unrestrict is allowed'],
  ];
  for (const [text, command, reason] of cases) {
    const e = t.throws(compileText(t, text), { instanceOf: MetaCommandError }, text);
    t.is(e.command, command, text);
    t.is(e.reason, reason, text);
  }
});

test('after \\unrestrict with the right key, backslash commands work again', (t) => {
  const steps = compileText(t, '\\restrict abc def\nselect 1;\n\\unrestrict abc\n\\echo ok\n')().steps;
  t.deepEqual(
    steps.map((s) => s.kind),
    ['warning', 'sql', 'echo'],
  );
  t.is(steps[0].message, '\\restrict: extra argument "def" ignored');
});

test('a restricted dump applied by migrate as a patch', async (t) => {
  const { makeProject, pgpatch, statuses } = await import('../helpers/project.mjs');
  const db = await freshDatabase(t, (await import('../helpers/database.mjs')).mainServer().url);
  const p = makeProject({ database: 'create table conf (k text, v text);\n' });
  t.teardown(() => p.cleanup());
  let r = await pgpatch(p, db.url, 'migrate');
  t.is(r.code, 0, r.stderr);
  writeFileSync(
    join(p.patchesDir, '2024-01-01_rows.sql'),
    '\\restrict Zq9\nSET client_min_messages = warning;\nCOPY public.conf (k, v) FROM stdin;\na\tb\n\\.\n\n\\unrestrict Zq9\n',
  );
  r = await pgpatch(p, db.url, 'migrate');
  t.is(r.code, 0, r.stderr);
  t.deepEqual((await query(db.url, 'select k, v from conf')).rows, [{ k: 'a', v: 'b' }]);
  t.deepEqual(await statuses(db.url), { '2024-01-01_rows': 'applied' });
});
