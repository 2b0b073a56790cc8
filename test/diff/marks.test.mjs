// What `pgpatch diff` says besides the statements (issue 24): every statement that destroys data
// has a DATA LOSS line on it, and --safe writes those statements commented out; LOCK notes for
// rewrites; rename hints only where a rename is plausible (one candidate each way, the same
// columns), a `set schema` hint for a table moved between schemas; and no noise: no REVOKE and
// GRANT back of PUBLIC's built-in privileges, no REVOKE on a new schema. Two real databases per
// case, diffed by the library as the CLI does.
import test from 'ava';
import { changesAsSql, planDiff } from 'pgpatch';
import { runCli } from '../helpers/cli.mjs';
import { createDatabase, query } from '../helpers/database.mjs';
import { eachServer } from '../helpers/servers.mjs';
import { read } from './_roundtrip.mjs';

async function db(t, server, sql) {
  const d = await createDatabase(server.url, 'pgpatch_marks');
  t.teardown(() => d.drop());
  if (sql) await query(d.url, sql);
  return d;
}

/** The changes and the script from `fromSql` to `toSql`. */
async function diffOf(t, server, fromSql, toSql) {
  const [a, b] = await Promise.all([db(t, server, fromSql), db(t, server, toSql)]);
  const [x, y] = await Promise.all([read(a.url), read(b.url)]);
  const changes = planDiff({ from: x.model, to: y.model, fromDependencies: x.dependencies, toDependencies: y.dependencies });
  return { changes, sql: changesAsSql(changes), a, b };
}

/** Each statement of the script that drops something, with the comment lines just above it. */
function dropsWithComments(sql) {
  return sql
    .split('\n\n')
    .filter((block) => /^(drop |alter table \S+ drop column)/m.test(block))
    .map((block) => block.trim());
}

eachServer(test, 'a DATA LOSS line on every drop of a sequence, materialized view, schema, table and column', async (t, server) => {
  const { sql } = await diffOf(
    t,
    server,
    `create schema app;
     create table app.t (id serial primary key, v text, gone int);
     create sequence app.counter;
     create materialized view app.mv as select id from app.t;
     create table public.keep (id int, old int);
     create sequence public.free;`,
    'create table public.keep (id int);',
  );
  const drops = dropsWithComments(sql);
  t.true(drops.length >= 5, sql);
  for (const d of drops) t.regex(d, /^-- DATA LOSS: /m, d);
  t.regex(sql, /-- DATA LOSS: drops table app\.t and every row in it, with the sequence it owns \(app\.t_id_seq\) and its current value/);
  t.regex(sql, /-- DATA LOSS: drops sequence public\.free and its current value\ndrop sequence if exists public\.free;/);
  t.regex(sql, /-- DATA LOSS: drops materialized view app\.mv and the rows it holds\ndrop materialized view app\.mv;/);
  t.regex(sql, /-- DATA LOSS: drops schema app .*\ndrop schema app;/);
  // The owned sequence goes with its table: no statement of its own.
  t.notRegex(sql, /drop sequence if exists app\.t_id_seq/);
});

eachServer(test, '--safe writes the statements that lose data commented out, and nothing else', async (t, server) => {
  const a = await db(t, server, 'create table t (id int primary key, old text); create sequence s;');
  const b = await db(t, server, 'create table t (id int primary key, n int);');
  const r = await runCli(['diff', '--safe', '--from', a.url, '--to', b.url], { env: { NODE_EXTRA_CA_CERTS: undefined } });
  t.is(r.code, 0, r.stderr);
  t.regex(
    r.stdout,
    /-- DATA LOSS: drops column old of public\.t and its values \(commented out: remove the -- to run it\)\n-- alter table public\.t drop column old;/,
  );
  t.regex(r.stdout, /\n-- drop sequence if exists public\.s;/);
  t.regex(r.stdout, /\nalter table public\.t add column n integer;/);
  await query(a.url, r.stdout);
  const left = await read(a.url);
  t.truthy(left.model.tables['public.t'].columns.old, 'the commented-out drop did not run');
  t.truthy(left.model.sequences['public.s']);
});

eachServer(test, 'LOCK notes: set logged and unlogged, a stored generated column dropped and added again', async (t, server) => {
  const { sql } = await diffOf(
    t,
    server,
    'create unlogged table u (id int); create table g (a int, b int generated always as (a * 2) stored);',
    'create table u (id int); create table g (a int, b int generated always as (a * 3) stored);',
  );
  t.regex(
    sql,
    /-- LOCK: rewrites the table and writes all of it to the WAL under an ACCESS EXCLUSIVE lock\nalter table public\.u set logged;/,
  );
  t.regex(sql, /-- LOCK: [^\n]*ACCESS EXCLUSIVE[^\n]*\nalter table public\.g drop column b;/);
  t.regex(sql, /-- LOCK: computes the stored column for every row[^\n]*\nalter table public\.g add column b /);
});

eachServer(test, 'rename hints: one candidate each way with the same columns; a set schema hint for a moved table', async (t, server) => {
  const two = await diffOf(
    t,
    server,
    'create table a1 (id int, name text); create table a2 (id int, name text);',
    'create table b (id int, name text);',
  );
  t.notRegex(two.sql, /NOTE: .*renamed/, 'two dropped tables are not offered as renames of the same new one');
  const other = await diffOf(t, server, 'create table a (id int, name text, extra int);', 'create table b (id int, name text);');
  t.notRegex(other.sql, /NOTE: .*renamed/, 'a table with other columns is not offered as a rename');
  const one = await diffOf(t, server, 'create table a (id int, name text);', 'create table b (id int, name text);');
  t.regex(
    one.sql,
    /NOTE: public\.a disappears while public\.b appears with the same columns: it may have been renamed: if so, write "alter table public\.a rename to b;"/,
  );
  const moved = await diffOf(
    t,
    server,
    'create schema x; create schema y; create table x.t (id int);',
    'create schema x; create schema y; create table y.t (id int);',
  );
  t.regex(
    moved.sql,
    /NOTE: x\.t disappears while y\.t appears with the same columns: it may have been moved to schema y: if so, write "alter table x\.t set schema y;"/,
  );
});

eachServer(test, "no REVOKE and GRANT back of PUBLIC's built-in privileges, no REVOKE on a new schema", async (t, server) => {
  const { sql, a, b } = await diffOf(
    t,
    server,
    `create type mood as enum ('a', 'b'); create table t (m mood); create function f(int) returns int language sql as 'select 1';`,
    `create schema fresh; create type mood as enum ('b', 'a'); create table t (m mood); create function f(int) returns bigint language sql as 'select 1';
     create function g() returns int language sql as 'select 2'; revoke execute on function g() from public;`,
  );
  t.notRegex(sql, /revoke usage on type public\.mood from public/);
  t.notRegex(sql, /revoke execute on function public\.f\(integer\) from public/);
  t.notRegex(sql, /grant (usage|execute) on \w+ public\.(mood|f)[^\n]* to public/);
  t.notRegex(sql, /revoke all on schema fresh from public/);
  // What is not the default is still written.
  t.regex(sql, /revoke execute on function public\.g\(\) from public;/);
  await query(a.url, `begin;\n${sql}\ncommit;`);
  const [x, y] = await Promise.all([read(a.url), read(b.url)]);
  t.is(changesAsSql(planDiff({ from: x.model, to: y.model, fromDependencies: x.dependencies, toDependencies: y.dependencies })), '');
});
