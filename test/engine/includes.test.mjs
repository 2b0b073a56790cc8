// Includes, unsupported meta-commands and the errors that point into the script: file, line,
// column and the chain of \i lines, through the library and the CLI.
import test from 'ava';
import { join } from 'node:path';
import { compileScript, FileError, IncludeCycleError, MetaCommandError, SqlError } from 'pgpatch';
import { runCli } from '../helpers/cli.mjs';
import { query, useDatabase } from '../helpers/database.mjs';
import { load, scriptDir } from './_scripts.mjs';

useDatabase(test);

const tables = async (t) =>
  (
    await query(t.context.db.url, "select relname from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r' order by 1")
  ).rows.map((r) => r.relname);

test("\\ir is relative to the including file, \\i to the entry file's folder", async (t) => {
  const dir = scriptDir(t, {
    'main.sql': 'create table ran (what text);\n\\i sub/inner.sql\n',
    'sub/inner.sql': '\\ir here.sql\n\\i here.sql\n\\include_relative deeper/x.sql\n\\include sub/deeper/x.sql\n',
    'sub/here.sql': "insert into ran values ('sub/here.sql');\n",
    'here.sql': "insert into ran values ('here.sql');\n",
    'sub/deeper/x.sql': "insert into ran values ('sub/deeper/x.sql');\n",
  });
  const r = await load(t, join(dir, 'main.sql'));
  t.deepEqual(
    r.files,
    ['main.sql', 'sub/inner.sql', 'sub/here.sql', 'here.sql', 'sub/deeper/x.sql', 'sub/deeper/x.sql'].map((f) => join(dir, f)),
  );
  const { rows } = await query(t.context.db.url, 'select what from ran');
  t.deepEqual(
    rows.map((x) => x.what),
    ['sub/here.sql', 'here.sql', 'sub/deeper/x.sql', 'sub/deeper/x.sql'],
  );
});

test('includeRoot changes what \\i is relative to, not \\ir', (t) => {
  const dir = scriptDir(t, {
    'schema/main.sql': '\\i a.sql\n\\ir b.sql\n',
    'root/a.sql': 'select 1;\n',
    'schema/b.sql': 'select 2;\n',
  });
  const compiled = compileScript(join(dir, 'schema/main.sql'), { includeRoot: join(dir, 'root') });
  t.deepEqual(compiled.files, [join(dir, 'schema/main.sql'), join(dir, 'root/a.sql'), join(dir, 'schema/b.sql')]);
});

test('a missing include names the including file and line, and nothing runs', async (t) => {
  const dir = scriptDir(t, {
    'main.sql': 'create table before_it (id int);\n-- next\n\\i lib/a.sql\n',
    'lib/a.sql': 'create table in_a (id int);\n\n\\ir nothere.sql\n',
  });
  const e = await t.throwsAsync(load(t, join(dir, 'main.sql')), { instanceOf: FileError });
  t.is(e.path, join(dir, 'lib/nothere.sql'));
  t.is(e.reason, 'no such file');
  t.deepEqual(e.location, { file: join(dir, 'lib/a.sql'), line: 3, column: 1 });
  t.deepEqual(e.trace, [{ file: join(dir, 'main.sql'), line: 3, column: 1 }]);
  t.is(e.exitCode, 3);
  t.deepEqual(await tables(t), []);
});

test('an include cycle is an error with the include trace', async (t) => {
  const dir = scriptDir(t, {
    'a.sql': 'create table t (id int);\n\\i b.sql\n',
    'b.sql': 'select 1;\n-- back to a\n\\i a.sql\n',
  });
  const e = await t.throwsAsync(load(t, join(dir, 'a.sql')), { instanceOf: IncludeCycleError });
  t.is(e.path, join(dir, 'a.sql'));
  t.deepEqual(e.trace, [
    { file: join(dir, 'a.sql'), line: 2, column: 1 },
    { file: join(dir, 'b.sql'), line: 3, column: 1 },
  ]);
  t.deepEqual(await tables(t), []);
  // A file that includes itself.
  const self = scriptDir(t, { 'self.sql': 'select 1;\n\\ir self.sql\n' });
  const e2 = t.throws(() => compileScript(join(self, 'self.sql')), { instanceOf: IncludeCycleError });
  t.deepEqual(e2.trace, [{ file: join(self, 'self.sql'), line: 2, column: 1 }]);
});

test('the same file may be included twice when it is not a cycle', (t) => {
  const dir = scriptDir(t, { 'main.sql': '\\i x.sql\n\\i x.sql\n', 'x.sql': 'select 1;\n' });
  t.is(compileScript(join(dir, 'main.sql')).steps.length, 2);
});

for (const [command, line] of [
  ['gexec', "select 'create table x ()' \\gexec"],
  ['connect', '\\connect otherdb'],
  ['c', '\\c otherdb'],
]) {
  test(`\\${command} is refused with the command, file and line before anything runs`, async (t) => {
    const dir = scriptDir(t, {
      'main.sql': 'create table first (id int);\n\\ir inc.sql\n',
      'inc.sql': `insert into first values (1);\n\n${line}\ncreate table after_it (id int);\n`,
    });
    const e = await t.throwsAsync(load(t, join(dir, 'main.sql')), { instanceOf: MetaCommandError });
    t.is(e.command, command);
    t.is(e.location.file, join(dir, 'inc.sql'));
    t.is(e.location.line, 3);
    t.deepEqual(e.trace, [{ file: join(dir, 'main.sql'), line: 2, column: 1 }]);
    t.regex(e.message, new RegExp(`^\\\\${command}: not supported`));
    t.is(e.exitCode, 3);
    // Compiled before execution: not even the first statement ran.
    t.deepEqual(await tables(t), []);
  });
}

test('a backtick shell command in a meta-command is refused', (t) => {
  const dir = scriptDir(t, { 'main.sql': 'select 1;\n\\set x `echo hi`\n' });
  const e = t.throws(() => compileScript(join(dir, 'main.sql')), { instanceOf: MetaCommandError });
  t.is(e.location.line, 2);
});

// The error token is on line 5 of c.sql, column 13 (counted in characters: é is one), after a
// variable whose value is longer than its reference; c.sql is included from b.sql, from main.sql.
const twoLevels = {
  'main.sql': 'create table t (id int);\n\n\\i lib/b.sql\n',
  'lib/b.sql': "-- b\n\\set v 'a rather long value'\n\\ir deep/c.sql\n",
  'lib/deep/c.sql': "select 1;\n\nselect :'v' as x,\n  -- comment\n  :'v', 'é', nosuchcol\n  from t;\n",
};

test('an SQL error two includes deep points at the file, line and column of the token', async (t) => {
  const dir = scriptDir(t, twoLevels);
  const e = await t.throwsAsync(load(t, join(dir, 'main.sql')), { instanceOf: SqlError });
  t.is(e.server.sqlstate, '42703');
  t.is(e.server.message, 'column "nosuchcol" does not exist');
  t.deepEqual(e.location, { file: join(dir, 'lib/deep/c.sql'), line: 5, column: 14 });
  t.deepEqual(e.statementLocation, { file: join(dir, 'lib/deep/c.sql'), line: 3, column: 1 });
  t.deepEqual(e.trace, [
    { file: join(dir, 'main.sql'), line: 3, column: 1 },
    { file: join(dir, 'lib/b.sql'), line: 3, column: 1 },
  ]);
  t.is(e.statement, "select 'a rather long value' as x,\n  -- comment\n  'a rather long value', 'é', nosuchcol\n  from t;");
  t.is(e.statement.slice(e.statementOffset, e.statementOffset + 9), 'nosuchcol');
  t.is(e.exitCode, 3);
  // Statements before the failing one ran (autocommit), as with psql.
  const { rows } = await query(t.context.db.url, "select to_regclass('t') is not null as has_t");
  t.true(rows[0].has_t);
});

test('an error position inside an interpolated value points at the variable reference', async (t) => {
  const dir = scriptDir(t, { 'main.sql': "\\set bad 'nosuch_column'\nselect 1,\n   :bad;\n" });
  const e = await t.throwsAsync(load(t, join(dir, 'main.sql')), { instanceOf: SqlError });
  t.deepEqual(e.location, { file: join(dir, 'main.sql'), line: 3, column: 4 });
});

test('the CLI shows file:line:col, the include trace, a caret and the SQLSTATE; exit status 3', async (t) => {
  const dir = scriptDir(t, twoLevels);
  const r = await runCli(['load', '--dsn', t.context.db.url, 'main.sql'], { cwd: dir });
  t.is(r.code, 3, r.stderr);
  // The first line says where load writes; the error follows.
  const [target, ...lines] = r.stderr.split('\n');
  t.is(target, `pgpatch: loading into ${t.context.db.url}`);
  t.is(lines[0], 'lib/deep/c.sql:5:14: ERROR:  column "nosuchcol" does not exist (SQLSTATE 42703)');
  t.is(lines[1], '  included from lib/b.sql:3');
  t.is(lines[2], '  included from main.sql:3');
  t.is(lines[3], "  5 |   :'v', 'é', nosuchcol");
  t.is(lines[4], `    | ${' '.repeat(13)}^`);
  t.is(r.stdout, '');
});

test('the CLI reports a missing include and an unsupported meta-command with their line', async (t) => {
  const dir = scriptDir(t, { 'main.sql': 'select 1;\n\\i missing.sql\n', 'meta.sql': 'select 1;\n\n\\gexec\n' });
  const missing = await runCli(['load', '--dsn', t.context.db.url, 'main.sql'], { cwd: dir });
  t.is(missing.code, 3);
  t.regex(missing.stderr, /^main\.sql:2:1: error: no such file: missing\.sql$/m);
  const meta = await runCli(['load', '--dsn', t.context.db.url, 'meta.sql'], { cwd: dir });
  t.is(meta.code, 3);
  t.regex(meta.stderr, /^meta\.sql:3:1: error: \\gexec: not supported/m);
});

test('a file that is not UTF-8 is refused with the line of the first bad byte', async (t) => {
  const latin1 = Buffer.concat([
    Buffer.from("create table t (v text);\n-- ok\ninsert into t values ('"),
    Buffer.from([0xe9]),
    Buffer.from("');\n"),
  ]);
  const dir = scriptDir(t, { 'main.sql': 'select 1;\n\\i latin1.sql\n', 'latin1.sql': latin1 });
  const e = await t.throwsAsync(load(t, join(dir, 'main.sql')), { instanceOf: FileError });
  t.is(e.path, join(dir, 'latin1.sql'));
  t.regex(e.reason, /not valid UTF-8 \(line 3\b/);
  t.deepEqual(e.location, { file: join(dir, 'main.sql'), line: 2, column: 1 });
  t.deepEqual(await tables(t), []);
});

// Where the error points: at the first byte that is not part of valid UTF-8, however it is bad
// (a byte that can never appear, a continuation byte with no lead, a lead byte whose sequence
// is cut short, in the middle of a line or by the end of the file). "line" and "byte" are
// 1-based and count in the file, as cmp(1) does; "column" counts characters (code points) on
// that line before the bad byte, plus one, like the file:line:column of every other message.
const BAD_UTF8 = [
  ['a lone continuation byte', ['select 1;\nselect ', [0x80], ';\n'], { line: 2, column: 8, byte: 18 }],
  ['\\xff, never valid', ['select 1;\nselect ', [0xff], ';\n'], { line: 2, column: 8, byte: 18 }],
  ['\\xff as the very first byte', [[0xff], 'select 1;\n'], { line: 1, column: 1, byte: 1 }],
  // \xc3 opens a 2-byte sequence that the quote does not continue: \xc3 is the bad byte.
  ['a 2-byte sequence cut short in the middle of a line', ["select 'caf", [0xc3], "';\n"], { line: 1, column: 12, byte: 12 }],
  // \xe2\x82 is the start of "€" (\xe2\x82\xac): the file ends before its last byte.
  ['a 3-byte sequence cut short by the end of the file', ['select 1;\n-- ', [0xe2, 0x82]], { line: 2, column: 4, byte: 14 }],
  // "😀" is 4 bytes (2 UTF-16 units), "é" 2 bytes: the column counts each as one character.
  [
    'valid non-ASCII characters before the bad byte on its line',
    ["select 1;\nselect '\u{1F600}é', '", [0xe9], "';\n"],
    { line: 2, column: 15, byte: 29 },
  ],
  // A surrogate (\xed\xa0\x80) and an overlong "/" (\xc0\xaf): the sequence's first byte is the bad one.
  ['an encoded surrogate', ['-- ', [0xed, 0xa0, 0x80], '\n'], { line: 1, column: 4, byte: 4 }],
  ['an overlong encoding', ['-- ', [0xc0, 0xaf], '\n'], { line: 1, column: 4, byte: 4 }],
];

for (const [title, parts, at] of BAD_UTF8) {
  test(`not UTF-8, ${title}: line, column and byte of the first bad byte`, (t) => {
    const bytes = Buffer.concat(parts.map((p) => Buffer.from(p)));
    const dir = scriptDir(t, { 'bad.sql': bytes });
    const e = t.throws(() => compileScript(join(dir, 'bad.sql')), { instanceOf: FileError });
    t.is(e.path, join(dir, 'bad.sql'));
    t.is(
      e.reason,
      `not valid UTF-8 (line ${at.line}, byte ${at.byte}) at column ${at.column} of that line; convert it, e.g. with iconv -f latin1 -t utf-8`,
    );
    // Everything before the byte it names is valid UTF-8: it is the first bad one.
    t.notThrows(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, at.byte - 1)));
  });
}
