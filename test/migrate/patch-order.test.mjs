// The order of patches is the byte order of their names in UTF-8, whatever JavaScript's own
// string order (UTF-16) says: the two differ for characters beyond U+FFFF (surrogate pairs).
import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPatches } from 'pgpatch';

test('patch names with characters beyond U+FFFF sort in UTF-8 byte order, across folders', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pgpatch-order-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // U+FF21 is EF BC A1 in UTF-8, U+1F600 is F0 9F 98 80: U+FF21 first in bytes, last in UTF-16.
  const names = ['2025-01-01_\u{1F600}', '2025-01-01_\uFF21', '2025-01-01_b', '2024-12-31_z'];
  mkdirSync(join(dir, '2025'));
  for (const [i, n] of names.entries()) writeFileSync(join(dir, i % 2 ? '2025' : '', `${n}.sql`), 'select 1;\n');
  t.deepEqual(
    findPatches(dir).map((p) => p.name),
    ['2024-12-31_z', '2025-01-01_b', '2025-01-01_\uFF21', '2025-01-01_\u{1F600}'],
  );
});

test('10,000 plain names keep byte order', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pgpatch-order-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const names = [];
  for (let i = 0; i < 10000; i++) names.push(`2024-01-01_${String((i * 7919) % 10000).padStart(5, '0')}_${i % 3 ? 'a' : 'B'}`);
  for (const [i, n] of names.entries()) {
    // Archive folders (YYYY/): patches in any other folder are not patches (files.ts).
    const folder = join(dir, `${2018 + (i % 7)}`);
    if (i < 7) mkdirSync(folder);
    writeFileSync(join(folder, `${n}.sql`), '');
  }
  const expected = [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  t.deepEqual(
    findPatches(dir).map((p) => p.name),
    expected,
  );
});
