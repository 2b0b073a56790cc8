// Input that is not a script: a NUL byte, includes nested without end, `\i` of a device or a
// FIFO, a file too big to read whole. Each is a clear error naming the file (and the line that
// asked for it), exit 3, before anything runs; none hangs, grows without bound or crashes.
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, openSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, runCli } from '../helpers/cli.mjs';
import { query, useDatabase } from '../helpers/database.mjs';
import { scriptDir } from './_scripts.mjs';

useDatabase(test);

const FIRST = 'create table before_it (id int);\n';
const ranNothing = async (t) => t.deepEqual((await query(t.context.db.url, "select to_regclass('before_it') as r")).rows, [{ r: null }]);
const load = (t, dir, file = 'main.sql') => runCli(['load', '--dsn', t.context.db.url, file], { cwd: dir, timeoutMs: 30000 });

test('a NUL byte is refused with its line and column, before anything runs', async (t) => {
  const dir = scriptDir(t, { 'main.sql': `${FIRST}\\i data.sql\n`, 'data.sql': Buffer.from("select 1;\nselect 'a\0b';\n") });
  const r = await load(t, dir);
  t.is(r.code, 3, r.stderr);
  t.regex(
    r.stderr,
    /main\.sql:2:1: error: holds a NUL byte \(line 2, byte 20\) at column 10 of that line, which PostgreSQL cannot take in a statement; is it a text file\?: data\.sql/,
  );
  t.notRegex(r.stderr, /internal error/);
  await ranNothing(t);
});

test('includes nested 5,000 deep stop at the limit with the include line, not a stack overflow', async (t) => {
  const files = { 'main.sql': `${FIRST}\\ir n/0.sql\n` };
  for (let i = 0; i < 5000; i++) files[`n/${i}.sql`] = `\\ir ${i + 1}.sql\n`;
  const dir = scriptDir(t, files);
  const r = await load(t, dir);
  t.is(r.code, 3, r.stderr.slice(0, 2000));
  t.regex(r.stderr, /n\/99\.sql:1:1: error: \\ir: includes nested more than 100 deep/);
  t.notRegex(r.stderr, /internal error|Maximum call stack/);
  await ranNothing(t);
});

test('\\i /dev/zero is refused as not a regular file, at once', async (t) => {
  const dir = scriptDir(t, { 'main.sql': `${FIRST}\\i /dev/zero\n` });
  const r = await load(t, dir);
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, /main\.sql:2:1: error: not a regular file \(a character device\); only files can be included: \/dev\/zero/);
  await ranNothing(t);
});

test('\\i of a FIFO is refused without opening it (opening would block)', async (t) => {
  const dir = scriptDir(t, { 'main.sql': `${FIRST}\\i fifo.sql\n` });
  execFileSync('mkfifo', [join(dir, 'fifo.sql')]);
  const r = await load(t, dir);
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, /main\.sql:2:1: error: not a regular file \(a named pipe\); only files can be included: fifo\.sql/);
  await ranNothing(t);
});

test('a script over 256 MiB is refused before it is read', async (t) => {
  const dir = scriptDir(t, { 'main.sql': `${FIRST}\\i big.sql\n` });
  // Sparse: no disk space, but its size says 300 MiB.
  const fd = openSync(join(dir, 'big.sql'), 'w');
  ftruncateSync(fd, 300 * 1024 * 1024);
  closeSync(fd);
  const r = await load(t, dir);
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, /main\.sql:2:1: error: larger than 256 MiB, the most pgpatch reads of one script .*: big\.sql/);
  await ranNothing(t);
});

test('an entry script that is a pipe still loads (process substitution, /dev/stdin)', async (t) => {
  const dir = scriptDir(t, {});
  // Through the shell, so that stdin is a real pipe (Node gives a child a socket).
  const r = spawnSync('sh', ['-c', `printf '%s' "$SQL" | "${process.execPath}" "${CLI}" load --dsn "$URL" /dev/stdin`], {
    cwd: dir,
    env: { PATH: process.env.PATH, SQL: FIRST, URL: t.context.db.url },
    encoding: 'utf8',
    timeout: 60000,
  });
  t.is(r.status, 0, r.stderr);
  t.deepEqual((await query(t.context.db.url, "select to_regclass('before_it')::text as r")).rows, [{ r: 'before_it' }]);
});
