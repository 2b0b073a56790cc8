// Statement splitting by psql's rules: each rule is checked twice, lexically (what compileScript
// sends) and on a real server (what the database ends up holding).
import test from 'ava';
import { compileScript } from 'pgpatch';
import { query, useDatabase } from '../helpers/database.mjs';
import { join } from 'node:path';
import { loadText, scriptDir, split } from './_scripts.mjs';

useDatabase(test);

const rows = async (t, sql) => (await query(t.context.db.url, sql)).rows;

test('single-quoted strings keep ; and doubled quotes', async (t) => {
  const sql = String.raw`create table t (v text);
insert into t values ('a;b'), ('it''s; here'), ('');
insert into t values ('multi
line; string');
`;
  t.deepEqual(split(t, sql), [
    'create table t (v text);',
    String.raw`insert into t values ('a;b'), ('it''s; here'), ('');`,
    "insert into t values ('multi\nline; string');",
  ]);
  const r = await loadText(t, sql);
  t.is(r.statements, 3);
  t.deepEqual(
    (await rows(t, 'select v from t order by v')).map((x) => x.v),
    ['', 'a;b', "it's; here", 'multi\nline; string'],
  );
});

test("E'' strings take backslash escapes: \\' and \\\\ do not end the string", async (t) => {
  const sql = String.raw`create table t (n int, v text);
insert into t values (1, E'a\';b'), (2, E'back\\'), (3, e'tab\there;'), (4, E'\\\';x');
`;
  t.is(split(t, sql).length, 2);
  await loadText(t, sql);
  t.deepEqual(
    (await rows(t, 'select v from t order by n')).map((x) => x.v),
    ["a';b", 'back\\', 'tab\there;', "\\';x"],
  );
});

test('a backslash in a plain string is an ordinary character with standard_conforming_strings', (t) => {
  // 'a\' is a complete string: the ; after it ends the statement.
  t.deepEqual(split(t, String.raw`select 'a\'; select 2;`), [String.raw`select 'a\';`, 'select 2;']);
  // With standard_conforming_strings off, \' is an escaped quote, as psql scans it then.
  t.deepEqual(split(t, String.raw`select 'a\'; select 2';`, { standardConformingStrings: false }), [String.raw`select 'a\'; select 2';`]);
});

test('dollar quoting: $$, $tag$, a $ inside identifiers and $1 parameters', async (t) => {
  const sql = String.raw`create table a$b (x$y int, note text);
insert into a$b values (1, $$semi; colon 'quote'$$);
insert into a$b values (2, $tag$ a $$ inside; $tag$);
create function plus_one(int) returns int language plpgsql as $fn$
begin
  return $1 + 1;   -- ; in a body
end;
$fn$;
prepare p(int) as select $1 + 41 as v;
insert into a$b select 3, (select plus_one(2))::text;
`;
  const stmts = split(t, sql);
  t.is(stmts.length, 6);
  t.is(stmts[2], 'insert into a$b values (2, $tag$ a $$ inside; $tag$);');
  t.true(stmts[3].startsWith('create function plus_one') && stmts[3].endsWith('$fn$;'));
  await loadText(t, sql);
  t.deepEqual(
    (await rows(t, 'select x$y as x, note from a$b order by 1')).map((x) => x.note),
    ["semi; colon 'quote'", ' a $$ inside; ', '3'],
  );
  const cols = await rows(t, "select attname from pg_attribute where attrelid = 'a$b'::regclass and attnum > 0 order by attnum");
  t.deepEqual(
    cols.map((c) => c.attname),
    ['x$y', 'note'],
  );
});

test('quoted identifiers keep ; and doubled double quotes', async (t) => {
  const sql = 'create table "semi;colon" ("a""b;" int);\ninsert into "semi;colon" values (7);\n';
  t.deepEqual(split(t, sql), ['create table "semi;colon" ("a""b;" int);', 'insert into "semi;colon" values (7);']);
  await loadText(t, sql);
  const r = await rows(t, `select attname from pg_attribute where attrelid = '"semi;colon"'::regclass and attnum > 0`);
  t.deepEqual(
    r.map((x) => x.attname),
    ['a"b;'],
  );
  t.deepEqual(await rows(t, 'select * from "semi;colon"'), [{ 'a"b;': 7 }]);
});

test('-- comments hide ; to the end of the line', async (t) => {
  const sql = `-- a comment before anything; select 1;
create table t (
    id int -- the key; not a statement end
);
-- insert into t values (99);
insert into t values (1); -- trailing; comment
`;
  const stmts = split(t, sql);
  t.is(stmts.length, 2);
  t.true(stmts[0].includes('-- the key; not a statement end'));
  await loadText(t, sql);
  t.deepEqual(await rows(t, 'select id from t'), [{ id: 1 }]);
});

test('block comments nest, and ; inside them does not end a statement', async (t) => {
  const sql = `/* outer /* inner */ ; still a comment; */
create table t (id int /* a; /* b; */ c; */);
insert into t values (1);
/* a comment with no statement after it; */`;
  t.deepEqual(split(t, sql), [
    `/* outer /* inner */ ; still a comment; */\ncreate table t (id int /* a; /* b; */ c; */);`,
    'insert into t values (1);',
  ]);
  const r = await loadText(t, sql);
  t.is(r.statements, 2);
  t.deepEqual(await rows(t, 'select id from t'), [{ id: 1 }]);
});

test('BEGIN ATOMIC ... END bodies, with CASE ... END inside, are one statement', async (t) => {
  const sql = `create table log (v text);
create function sign_word(x int) returns text
language sql immutable
begin atomic
    select case when x > 0 then 'positive;' when x < 0 then 'negative' else 'zero' end;
end;
create or replace procedure fill(n int)
language sql
BEGIN ATOMIC
    insert into log values (sign_word(n));
    insert into log values (case n when 0 then 'was zero' else 'was not zero' end);
END;
call fill(5);
select 1;
`;
  const stmts = split(t, sql);
  t.is(stmts.length, 5);
  t.true(stmts[1].endsWith('end;\nend;'));
  t.true(stmts[2].startsWith('create or replace procedure') && stmts[2].endsWith('END;'));
  await loadText(t, sql);
  t.deepEqual(
    (await rows(t, 'select v from log order by v')).map((x) => x.v),
    ['positive;', 'was not zero'],
  );
  // The body was parsed by the server (SQL-standard body), not stored as a string.
  const [{ prosqlbody }] = await rows(t, "select prosqlbody is not null as prosqlbody from pg_proc where proname = 'sign_word'");
  t.true(prosqlbody);
});

test('BEGIN as a transaction start is not a routine body', (t) => {
  t.deepEqual(split(t, 'begin; create table t (id int); end;'), ['begin;', 'create table t (id int);', 'end;']);
  // CASE outside a BEGIN ATOMIC body does not count either.
  t.deepEqual(split(t, 'create function f() returns int language sql return case when true then 1 end; select 1;'), [
    'create function f() returns int language sql return case when true then 1 end;',
    'select 1;',
  ]);
  // Upper case, OR REPLACE, CASE ... END inside parentheses (not counted, as psql does), long words.
  const body =
    'CREATE OR REPLACE FUNCTION Beginning() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT (CASE WHEN true THEN 1 END) AS endless; END;';
  t.deepEqual(split(t, `${body} SELECT 2; create table begin_end (casey int);`), [
    body,
    'SELECT 2;',
    'create table begin_end (casey int);',
  ]);
});

test('semicolons inside parentheses do not end a statement (a rule with two actions)', async (t) => {
  const sql = `create table t (id int);
create table log (id int);
create rule t_log as on insert to t do also (
    insert into log values (new.id);
    insert into log values (-new.id)
);
insert into t values (3);
`;
  const stmts = split(t, sql);
  t.is(stmts.length, 4);
  t.true(stmts[2].startsWith('create rule') && stmts[2].endsWith(');'));
  await loadText(t, sql);
  t.deepEqual(
    (await rows(t, 'select id from log order by id')).map((x) => x.id),
    [-3, 3],
  );
});

test('the last statement needs no ; at the end of the file', async (t) => {
  const sql = 'create table t (id int);\ninsert into t values (1), (2)\n  ';
  // (psql sends the trailing white space too; the server does not mind)
  t.deepEqual(
    split(t, sql).map((x) => x.trimEnd()),
    ['create table t (id int);', 'insert into t values (1), (2)'],
  );
  const r = await loadText(t, sql);
  t.is(r.statements, 2);
  t.deepEqual(await rows(t, 'select count(*)::int as n from t'), [{ n: 2 }]);
});

test('empty statements (;; and comments alone) are not sent', async (t) => {
  const sql = ';;\ncreate table t (id int);;\n/* nothing */ ;\n;insert into t values (1);\n;';
  t.deepEqual(split(t, sql), ['create table t (id int);', 'insert into t values (1);']);
  const r = await loadText(t, sql);
  t.is(r.statements, 2);
  t.deepEqual(await rows(t, 'select id from t'), [{ id: 1 }]);
});

test('psql variables: \\set then :name, :\'name\' and :"name"', async (t) => {
  const sql = String.raw`\set tbl items
\set greeting 'it''s; a test'
\set col 'Mixed Col'
\set joined a b 'c d'
create table :tbl (:"col" text, other text);
insert into :tbl values (:'greeting', :'joined');
`;
  const stmts = split(t, sql);
  t.deepEqual(stmts, ['create table items ("Mixed Col" text, other text);', "insert into items values ('it''s; a test', 'abc d');"]);
  await loadText(t, sql);
  t.deepEqual(await rows(t, 'select * from items'), [{ 'Mixed Col': "it's; a test", other: 'abc d' }]);
});

test(":'name' uses E'' when the value holds a backslash", async (t) => {
  const sql = String.raw`\set path 'C:\\temp'
create table t (v text);
insert into t values (:'path');
`;
  t.is(split(t, sql)[1], String.raw`insert into t values (E'C:\\temp');`);
  await loadText(t, sql);
  t.deepEqual(await rows(t, 'select v from t'), [{ v: 'C:\\temp' }]);
});

test('initial variables, like psql -v, are read by :name', async (t) => {
  const sql = "create table :tbl (v text);\ninsert into :tbl values (:'owner');\n";
  const steps = compileScript(join(scriptDir(t, { 'script.sql': sql }), 'script.sql'), {
    variables: { tbl: 'from_v', owner: "O'Brien" },
  }).steps;
  t.deepEqual(
    steps.map((s) => s.text),
    ['create table from_v (v text);', "insert into from_v values ('O''Brien');"],
  );
  await loadText(t, sql, { variables: { tbl: 'from_v', owner: "O'Brien" } });
  t.deepEqual(await rows(t, 'select v from from_v'), [{ v: "O'Brien" }]);
});

test('an unset :name is left as written, :: casts are untouched, \\unset forgets', async (t) => {
  const sql = String.raw`\set int bogus
create table t (label text, v int[]);
-- n is not set: [:n] is an array slice up to the column n, sent as written
insert into t select 'unset', (array[10, 20, 30])[:n] from (select 2 as n) s;
\set n '2:3'
insert into t select 'set', (array[10, 20, 30])[:n] from (select 2 as n) s;
\unset n
insert into t select 'unset again', (array[10, 20, 30])[:n] from (select 3 as n) s;
insert into t values ('cast', '{7}'::int[]);
select :'missing'::text, :"missing";
`;
  const stmts = split(t, sql);
  t.true(stmts[1].includes('[:n]'));
  t.true(stmts[2].includes('[2:3]'));
  t.true(stmts[3].includes('[:n]'));
  t.is(stmts[4], "insert into t values ('cast', '{7}'::int[]);");
  t.is(stmts[5], `select :'missing'::text, :"missing";`);
  await loadText(t, sql.slice(0, sql.indexOf('select :')));
  t.deepEqual(await rows(t, 'select label, v from t order by label'), [
    { label: 'cast', v: [7] },
    { label: 'set', v: [20, 30] },
    { label: 'unset', v: [10, 20] },
    { label: 'unset again', v: [10, 20, 30] },
  ]);
});

test('variables are not read inside strings, quoted identifiers, dollar quotes or comments', (t) => {
  const sql = `\\set x X
select ':x', ":x", $$:x$$, E':x' -- :x
  /* :x */, :x;`;
  t.deepEqual(split(t, sql), [`select ':x', ":x", $$:x$$, E':x' -- :x\n  /* :x */, X;`]);
});

test('\\echo prints its arguments, with variables, as an event in script order', async (t) => {
  const sql = String.raw`\set who world
\echo hello :who 'two  spaces' :'who'
create table t (id int);
\qecho after create
\warn to stderr
\echo one \\ \echo 'a\\b; c' \\ \echo three
`;
  const r = await loadText(t, sql);
  t.deepEqual(r.events, [
    { type: 'echo', text: "hello world two  spaces 'world'", stream: 'stdout' },
    { type: 'echo', text: 'after create', stream: 'stdout' },
    { type: 'echo', text: 'to stderr', stream: 'stderr' },
    // \\ separates commands on one line, except inside quotes, where it is an escaped backslash
    { type: 'echo', text: 'one', stream: 'stdout' },
    { type: 'echo', text: 'a\\b; c', stream: 'stdout' },
    { type: 'echo', text: 'three', stream: 'stdout' },
  ]);
  t.is(r.statements, 1);
});
