// findPatches (src/engine/patches/files.ts) on its own: which files are patches and which are
// their scripts, in which order, whatever order the file system lists them in.
import test from 'ava';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { findPatches } = require('../../dist/engine/patches/files.js');

function folder(t, files) {
  const dir = mkdtempSync(join(tmpdir(), 'pgpatch-find-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const f of files) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), 'select 1;\n');
  }
  return dir;
}

test('patches in name order from every folder but hidden ones; NAME.pre.* and NAME.post.* are its scripts, in name order', (t) => {
  // Created out of order, so that the directory's own order is not the answer.
  const dir = folder(t, [
    'b.sql',
    'b.post.sh',
    'b.post.py',
    'b.pre.sql',
    'b.pre',
    'a.sql',
    'a.notes.txt',
    '2024/c.sql',
    '.hidden/d.sql',
    'orphan.pre.sh',
  ]);
  const patches = findPatches(dir);
  t.deepEqual(
    patches.map((p) => [p.name, p.relativePath]),
    [
      ['a', 'a.sql'],
      ['b', 'b.sql'],
      ['c', join('2024', 'c.sql')],
    ],
  );
  const b = patches[1];
  t.deepEqual(b.pre, [join(dir, 'b.pre'), join(dir, 'b.pre.sql')]);
  t.deepEqual(b.post, [join(dir, 'b.post.py'), join(dir, 'b.post.sh')]);
  t.deepEqual([patches[0].pre, patches[0].post], [[], []]);
});

test('of several refused patches in a folder, the first in name order is named', (t) => {
  const dir = folder(t, ['-z.sql', 'ok.sql', '-b.sql', '-m.sql']);
  const e = t.throws(() => findPatches(dir));
  t.regex(e.message, /patch file -b\.sql has a name starting with "-"/);
});

test('the same name in two folders is refused, naming both files', (t) => {
  const dir = folder(t, ['a.sql', '2024/a.sql', 'b.sql']);
  const e = t.throws(() => findPatches(dir));
  t.regex(e.message, /a patch name is used twice: a/);
});

test('names used twice are listed in name order, whatever order the folder lists its files in', (t) => {
  const dir = folder(t, ['a/x.sql', 'a/y.sql', 'a/z.sql', 'b/z.sql', 'b/y.sql', 'b/x.sql']);
  const e = t.throws(() => findPatches(dir));
  t.regex(e.message, /patch names are used twice: x, y, z$/);
  // By name, each with both of its files (the folders themselves come in readdir's order, as before).
  t.deepEqual(
    e.files.map((f) => f.slice(-5)),
    ['x.sql', 'x.sql', 'y.sql', 'y.sql', 'z.sql', 'z.sql'],
  );
});
