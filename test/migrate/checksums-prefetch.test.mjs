// Checksums.prefetch (src/engine/patches/checksums.ts) stats the files ahead, while the server
// works: `of` must then give what it gives without it, and report a file it could not stat.
import test from 'ava';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';

const require = createRequire(import.meta.url);
const { Checksums } = require('../../dist/engine/patches/checksums.js');

const sha = (s) => createHash('sha256').update(s).digest('hex');

test('prefetched or not, the same checksums, from the cache when the stat matches; a missing file is reported', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pgpatch-prefetch-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const then = Date.now() / 1000 - 3600;
  const patches = ['a', 'b', 'c'].map((n) => {
    const path = join(dir, `${n}.sql`);
    writeFileSync(path, `-- ${n}\n`);
    utimesSync(path, then, then);
    return { path, relativePath: `${n}.sql` };
  });
  const cache = join(dir, 'cache.tsv');
  // utimes changed the ctime just now: these files are too new to cache until 2 s have passed.
  const first = new Checksums(cache);
  t.deepEqual(
    patches.map((p) => first.of(p)),
    ['a', 'b', 'c'].map((n) => sha(`-- ${n}\n`)),
  );
  first.save();

  const ahead = new Checksums(cache);
  ahead.prefetch(patches);
  t.deepEqual(
    patches.map((p) => ahead.of(p)),
    ['a', 'b', 'c'].map((n) => sha(`-- ${n}\n`)),
  );

  const missing = { path: join(dir, 'gone.sql'), relativePath: 'gone.sql' };
  const again = new Checksums(cache);
  again.prefetch([patches[0], missing, patches[2]]);
  t.is(again.of(patches[0]), sha('-- a\n'));
  t.is(t.throws(() => again.of(missing)).code, 'ENOENT');
  t.is(again.of(patches[2]), sha('-- c\n'));
  // A patch it did not look at ahead is looked at then.
  t.is(again.of(patches[1]), sha('-- b\n'));
});
