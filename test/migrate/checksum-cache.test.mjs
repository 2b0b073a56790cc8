// The checksum cache (src/engine/patches/checksums.ts): it is used, it never hides an edit, and a broken
// or unwritable cache changes nothing but speed. Files younger than 2 s are never cached, so
// these tests wait for the patches to settle first.
import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { useDatabase } from '../helpers/database.mjs';
import { initRecord, makeProject, pgpatch, record } from '../helpers/project.mjs';

useDatabase(test);

test.afterEach.always((t) => {
  t.context.project?.cleanup();
  if (t.context.cache) rmSync(t.context.cache, { recursive: true, force: true });
});

const settle = () => new Promise((r) => setTimeout(r, 2200));

/** A project with two applied patches that are old enough to be cached, and its cache folder. */
async function setup(t) {
  const p = (t.context.project = makeProject());
  const cache = (t.context.cache = mkdtempSync(join(tmpdir(), 'pgpatch-cache-')));
  const url = t.context.db.url;
  await initRecord(p, url);
  p.patch('2024-01-01_a.sql', 'create table a (id int);\n');
  p.patch('2024/2024-02-01_b.sql', 'create table b (id int);\n');
  await settle();
  const run = (command, args = [], env = {}) => pgpatch(p, url, command, args, { env: { PGPATCH_CACHE_DIR: cache, ...env } });
  const m = await run('migrate');
  t.is(m.code, 0, m.stderr);
  // Pending patches have no checksum to compare: the first run that reads applied ones caches them.
  const warm = await run('showmigrations');
  t.is(warm.code, 0, warm.stderr);
  return { p, url, cache, run };
}

function cacheFile(cache) {
  const files = readdirSync(cache).filter((f) => f.endsWith('.tsv'));
  return files.length === 1 ? join(cache, files[0]) : undefined;
}

const HEADER = 'pgpatch checksums 6\n';

/**
 * The cache's lines by path: [size, inode, mtime µs, ctime µs, checksum] (throws on a malformed
 * file). The lines of a patch's includes (starting with a tab) are left out.
 */
function readEntries(file) {
  const text = readFileSync(file, 'utf8');
  if (!text.startsWith(HEADER) || !text.endsWith('\n')) throw new Error(`not a whole cache file: ${text.slice(0, 40)}`);
  const entries = {};
  for (const line of text
    .slice(HEADER.length, -1)
    .split('\n')
    .filter((l) => l && !l.startsWith('\t'))) {
    const [path, ...rest] = line.split('\t');
    if (rest.length !== 5) throw new Error(`malformed line: ${line}`);
    entries[path] = rest;
  }
  return entries;
}

function writeEntries(file, entries) {
  writeFileSync(
    file,
    HEADER +
      Object.entries(entries)
        .map(([path, e]) => `${path}\t${e.join('\t')}\n`)
        .join(''),
  );
}

test('the cache holds the checksums the record has, and showmigrations reads it', async (t) => {
  const { url, cache, run } = await setup(t);
  const file = cacheFile(cache);
  t.truthy(file, 'one cache file per patches folder');
  const entries = readEntries(file);
  const rows = await record(url);
  t.deepEqual(Object.keys(entries).sort(), ['2024-01-01_a.sql', join('2024', '2024-02-01_b.sql')].sort());
  t.is(entries['2024-01-01_a.sql'][4], rows.find((r) => r.name === '2024-01-01_a').checksum);

  // A cache entry that matches the file's stat is believed: proof that the cache is read.
  entries['2024-01-01_a.sql'][4] = '0'.repeat(64);
  writeEntries(file, entries);
  const show = await run('showmigrations');
  t.is(show.code, 0, show.stderr);
  t.regex(show.stdout, /\[E\] 2024-01-01_a/);
  t.regex(show.stdout, /\[X\] 2024-02-01_b/);
});

test('an edit that keeps the size and the modification time is still seen (ctime)', async (t) => {
  const { p, cache, run } = await setup(t);
  const path = join(p.patchesDir, '2024-01-01_a.sql');
  // A whole second an hour ago, so that setting it again gives the very same nanoseconds.
  const then = Math.floor(Date.now() / 1000) - 3600;
  utimesSync(path, then, then);
  await settle(); // utimes changed the ctime
  t.regex((await run('showmigrations')).stdout, /\[X\] 2024-01-01_a/);
  const before = statSync(path, { bigint: true });
  t.true(Object.keys(readEntries(cacheFile(cache))).includes('2024-01-01_a.sql'));
  writeFileSync(path, 'create table z (id int);\n'); // as long as before
  utimesSync(path, then, then);
  const after = statSync(path, { bigint: true });
  t.is(after.size, before.size);
  t.is(after.mtimeNs, before.mtimeNs);
  t.is(after.ino, before.ino);
  const show = await run('showmigrations');
  t.regex(show.stdout, /\[E\] 2024-01-01_a/, show.stdout);
});

test('a file changed less than 2 s ago is not cached, and its edit is seen', async (t) => {
  const { p, cache, run } = await setup(t);
  p.patch('2024-03-01_c.sql', 'create table c (id int);\n');
  t.is((await run('migrate')).code, 0);
  // A busy machine can take 2 s between two commands: a time in the future keeps the file "new".
  const future = Date.now() / 1000 + 3600;
  utimesSync(join(p.patchesDir, '2024-03-01_c.sql'), future, future);
  t.regex((await run('showmigrations')).stdout, /\[X\] 2024-03-01_c/);
  const entries = readEntries(cacheFile(cache));
  t.true(Object.keys(entries).includes('2024-01-01_a.sql'));
  t.false(Object.keys(entries).includes('2024-03-01_c.sql'));
  p.patch('2024-03-01_c.sql', 'create table c (id bigint);\n');
  t.regex((await run('showmigrations')).stdout, /\[E\] 2024-03-01_c/);
});

test('a corrupt cache, a cache folder that cannot be made, or the cache turned off: same answers', async (t) => {
  const { p, cache, run } = await setup(t);
  p.patch('2024-01-01_a.sql', 'create table a (id int, edited int);\n');
  writeFileSync(cacheFile(cache), `${HEADER}2024-01-01_a.sql\t1\t2`);
  const corrupt = await run('showmigrations');
  t.is(corrupt.code, 0, corrupt.stderr);
  t.regex(corrupt.stdout, /\[E\] 2024-01-01_a/);
  t.regex(corrupt.stdout, /\[X\] 2024-02-01_b/);
  t.notThrows(() => readEntries(cacheFile(cache)), 'rewritten whole');

  const blocker = join(cache, 'not-a-folder');
  writeFileSync(blocker, '');
  const blocked = await run('showmigrations', [], { PGPATCH_CACHE_DIR: join(blocker, 'sub') });
  t.is(blocked.code, 0, blocked.stderr);
  t.regex(blocked.stdout, /\[E\] 2024-01-01_a/);

  const off = await run('showmigrations', [], { PGPATCH_CACHE_DIR: 'off' });
  t.is(off.code, 0, off.stderr);
  t.regex(off.stdout, /\[E\] 2024-01-01_a/);
});

test('a temporary file left by a run killed while writing the cache is removed once it is old', async (t) => {
  const { p, cache, run } = await setup(t);
  const file = cacheFile(cache);
  const old = `${file}.12345.deadbeef.tmp`;
  const fresh = `${file}.12346.cafebabe.tmp`;
  writeFileSync(old, '{"version":');
  writeFileSync(fresh, '{"version":');
  const longAgo = Date.now() / 1000 - 3600;
  utimesSync(old, longAgo, longAgo);
  p.patch('2024-01-01_a.sql', 'create table a (id int, edited int);\n'); // the cache changes: it is written
  t.regex((await run('showmigrations')).stdout, /\[E\] 2024-01-01_a/);
  t.false(existsSync(old));
  t.true(existsSync(fresh), 'a temporary file of a run that may be writing now stays');
});

test('patches moved away (squashed) or removed are dropped from the cache', async (t) => {
  const { p, cache, run } = await setup(t);
  p.remove(join('2024', '2024-02-01_b.sql'));
  t.is((await run('showmigrations')).code, 0);
  t.deepEqual(Object.keys(readEntries(cacheFile(cache))), ['2024-01-01_a.sql']);
});

test('several runs at once write the cache whole: each reads a complete file or none', async (t) => {
  const { cache, run } = await setup(t);
  rmSync(cacheFile(cache));
  const runs = await Promise.all(Array.from({ length: 6 }, () => run('showmigrations')));
  for (const r of runs) {
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout, runs[0].stdout);
  }
  t.regex(runs[0].stdout, /\[X\] 2024-01-01_a/);
  const entries = readEntries(cacheFile(cache));
  t.is(Object.keys(entries).length, 2);
  t.deepEqual(
    readdirSync(cache).filter((f) => f.endsWith('.tmp')),
    [],
    'no temporary file left behind',
  );
});

test('a run that changes nothing does not write the cache; a patch added between cached ones is found by path', async (t) => {
  const { p, cache, run } = await setup(t);
  const file = cacheFile(cache);
  const longAgo = Date.now() / 1000 - 3600;
  utimesSync(file, longAgo, longAgo);
  t.regex((await run('showmigrations')).stdout, /\[X\] 2024-02-01_b/);
  t.is(Math.floor(statSync(file).mtimeMs / 1000), Math.floor(longAgo), 'not rewritten');

  // Sorts between the two cached patches, and its name has a tab: never cached, always hashed.
  p.patch('2024-01-15_tab\there.sql', 'create table t (id int);\n');
  await settle();
  t.is((await run('migrate')).code, 0);
  t.regex((await run('showmigrations')).stdout, /\[X\] 2024-01-15_tab\there/);
  t.deepEqual(Object.keys(readEntries(file)).sort(), ['2024-01-01_a.sql', join('2024', '2024-02-01_b.sql')].sort());
  p.patch('2024-01-15_tab\there.sql', 'create table t (id bigint);\n');
  p.patch('2024-01-01_a.sql', 'create table a (id bigint);\n');
  const show = await run('showmigrations');
  t.regex(show.stdout, /\[E\] 2024-01-01_a/);
  t.regex(show.stdout, /\[E\] 2024-01-15_tab\there/);
  t.regex(show.stdout, /\[X\] 2024-02-01_b/);

  // A first line of the cache that no patch looks up (its patch gone): the next one is found by
  // path, and believed (the zeros prove it is read, not hashed again); the gone line drops out.
  const b = join('2024', '2024-02-01_b.sql');
  const entries = readEntries(file);
  t.truthy(entries[b]);
  entries[b][4] = '0'.repeat(64);
  writeEntries(file, { '2023-12-31_gone.sql': ['1', '2', '3', '4', '5', '6', 'f'.repeat(64)], ...entries });
  t.regex((await run('showmigrations')).stdout, /\[E\] 2024-02-01_b/);
  t.false(Object.keys(readEntries(file)).includes('2023-12-31_gone.sql'));
});

test('a patch with an include: the cache keeps the include, and an edit of the include is seen through it', async (t) => {
  const { p, cache, run } = await setup(t);
  const include = join(p.dir, 'schema', 'fn', 'answer.sql');
  mkdirSync(dirname(include), { recursive: true });
  writeFileSync(include, 'create table answer (id int);\n');
  p.patch('2024-03-01_c.sql', '\\ir ../fn/answer.sql\n');
  // Files younger than 2 s are not cached: made old, then left to settle (utimes changes the ctime).
  const then = Math.floor(Date.now() / 1000) - 3600;
  utimesSync(include, then, then);
  t.is((await run('migrate')).code, 0);
  await settle();
  t.regex((await run('showmigrations')).stdout, /\[X\] 2024-03-01_c/);
  const text = readFileSync(cacheFile(cache), 'utf8');
  t.true(text.includes(`\n\t${include}\t`), text);
  // The include keeps its size and modification time: only its ctime tells.
  writeFileSync(include, 'create table answer (ix int);\n');
  utimesSync(include, then, then);
  t.regex((await run('showmigrations')).stdout, /\[E\] 2024-03-01_c/);
  t.regex((await run('showmigrations')).stdout, /\[X\] 2024-01-01_a/);
});

test('PGPATCH_CACHE_DIR relative to the working directory is refused, and no folder is made in the project', async (t) => {
  const { p, run } = await setup(t);
  const r = await run('showmigrations', [], { PGPATCH_CACHE_DIR: 'cache-here' });
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, /PGPATCH_CACHE_DIR must be an absolute path, got "cache-here"/);
  t.false(existsSync(join(p.dir, 'cache-here')));
});
