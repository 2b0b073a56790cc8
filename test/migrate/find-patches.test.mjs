// findPatches and scanPatches (src/engine/patches/files.ts) on their own: which files are
// patches and which are their scripts, in which order, whatever order the file system lists them
// in; which .sql files are not patches, and which of those are reported.
import test from 'ava';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { findPatches, scanPatches, withRecorded } = require('../../dist/engine/patches/files.js');

function folder(t, files) {
  const dir = mkdtempSync(join(tmpdir(), 'pgpatch-find-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const f of files) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), 'select 1;\n');
  }
  return dir;
}

const A = '2024-01-01_a';
const B = '2024-01-02_b';
const C = '2024-03-01_c';

test('patches in name order from the patches folder and its archive folders; NAME.pre.* and NAME.post.* are its scripts, in name order', (t) => {
  // Created out of order, so that the directory's own order is not the answer.
  const dir = folder(t, [
    `${B}.sql`,
    `${B}.post.sh`,
    `${B}.post.py`,
    `${B}.pre.sql`,
    `${B}.pre`,
    `${A}.sql`,
    `${A}.notes.txt`,
    `2024/${C}.sql`,
    `.hidden/2024-04-01_d.sql`,
    'orphan.pre.sh',
  ]);
  const patches = findPatches(dir);
  t.deepEqual(
    patches.map((p) => [p.name, p.relativePath]),
    [
      [A, `${A}.sql`],
      [B, `${B}.sql`],
      [C, join('2024', `${C}.sql`)],
    ],
  );
  const b = patches[1];
  t.deepEqual(b.pre, [join(dir, `${B}.pre`), join(dir, `${B}.pre.sql`)]);
  t.deepEqual(b.post, [join(dir, `${B}.post.py`), join(dir, `${B}.post.sh`)]);
  t.deepEqual([patches[0].pre, patches[0].post], [[], []]);
});

test('a patch is a .sql file named by a real date, in the patches folder, YYYY/ or YYYY/MM/; what looks meant as one is a stray', (t) => {
  const dir = folder(t, [
    '2024-02-29_leap.sql',
    '2024-01-01.sql',
    '2023-02-29_no_such_day.sql',
    '2026-13-45_typo.sql',
    '2024-01-011_digit.sql',
    'README.sql',
    '.hidden.sql',
    '.2024-01-05_hidden.sql',
    '2024/2024-05-01_year.sql',
    '2024/05/2024-05-02_month.sql',
    '2024/13/2024-05-03_bad_month.sql',
    '2024/05/extra/2024-05-04_deep.sql',
    '2024/notes.sql',
    'lib/seed.sql',
    'lib/2024-06-01_dated.sql',
    'lib/seed.pre.sql',
  ]);
  const { patches, strays } = scanPatches(dir);
  t.deepEqual(
    patches.map((p) => p.relativePath),
    ['2024-01-01.sql', '2024-02-29_leap.sql', join('2024', '2024-05-01_year.sql'), join('2024', '05', '2024-05-02_month.sql')],
  );
  t.deepEqual(
    strays.map((s) => [s.relativePath, s.reason]),
    [
      ['2023-02-29_no_such_day.sql', 'not_a_date'],
      ['2024-01-011_digit.sql', 'no_date'],
      [join('2024', '05', 'extra', '2024-05-04_deep.sql'), 'misplaced'],
      [join('2024', '13', '2024-05-03_bad_month.sql'), 'misplaced'],
      [join('2024', 'notes.sql'), 'no_date'],
      ['2026-13-45_typo.sql', 'not_a_date'],
      ['README.sql', 'no_date'],
      [join('lib', '2024-06-01_dated.sql'), 'misplaced'],
    ],
  );
});

test('withRecorded: a stray the record names is a patch (an older project), in name order; the others stay strays', (t) => {
  const dir = folder(t, ['001_init.sql', 'README.sql', `${A}.sql`, 'old/2023-01-01_old.sql']);
  const recorded = new Set(['001_init', '2023-01-01_old']);
  const { patches, strays } = withRecorded(scanPatches(dir), (n) => recorded.has(n));
  t.deepEqual(
    patches.map((p) => p.name),
    ['001_init', '2023-01-01_old', A],
  );
  t.deepEqual(
    strays.map((s) => s.name),
    ['README'],
  );
});

test('of several refused patches in a folder, the first in name order is named', (t) => {
  const dir = folder(t, ['-z.sql', `${A}.sql`, '-b.sql', '-m.sql']);
  const e = t.throws(() => findPatches(dir));
  t.regex(e.message, /patch file -b\.sql has a name starting with "-"/);
});

test('the same name in two folders is refused, naming both files', (t) => {
  const dir = folder(t, [`${A}.sql`, `2024/${A}.sql`, `${B}.sql`]);
  const e = t.throws(() => findPatches(dir));
  t.regex(e.message, new RegExp(`a patch name is used twice: ${A}`));
});

test('an include beside the patches may share a name with another include: neither is a patch', (t) => {
  const dir = folder(t, ['lib/answer.sql', 'fn/answer.sql', `${A}.sql`]);
  t.deepEqual(
    findPatches(dir).map((p) => p.name),
    [A],
  );
});

test('names used twice are listed in name order, whatever order the folder lists its files in', (t) => {
  const x = '2024-01-01_x';
  const y = '2024-01-01_y';
  const z = '2024-01-01_z';
  const dir = folder(t, [`2023/${x}.sql`, `2023/${y}.sql`, `2023/${z}.sql`, `2024/${z}.sql`, `2024/${y}.sql`, `2024/${x}.sql`]);
  const e = t.throws(() => findPatches(dir));
  t.regex(e.message, new RegExp(`patch names are used twice: ${x}, ${y}, ${z}$`));
  // By name, each with both of its files (the folders themselves come in readdir's order, as before).
  t.deepEqual(
    e.files.map((f) => f.slice(-5)),
    ['x.sql', 'x.sql', 'y.sql', 'y.sql', 'z.sql', 'z.sql'],
  );
});
