// file-stat.ts reads Node's fs binding for the checksum cache's stat: it must give exactly what
// fs.statSync gives (the cache compares them exactly), and statSync's errors for files it cannot stat.
import test from 'ava';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { newFileStat, statInto } = require('../../dist/engine/patches/file-stat.js');

test('size, inode, mtime and ctime (seconds, nanoseconds) as fs.statSync gives them, for each file', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pgpatch-stat-'));
  try {
    const files = ['a.sql', 'b.sql', 'c é.sql'].map((f, i) => {
      writeFileSync(join(dir, f), 'x'.repeat(i * 1000));
      return join(dir, f);
    });
    symlinkSync(files[1], join(dir, 'link.sql'));
    files.push(join(dir, 'link.sql'));
    const out = newFileStat();
    for (const f of files) {
      statInto(f, out);
      const st = statSync(f, { bigint: true });
      const b = 1000000000n;
      t.deepEqual([...out], [st.size, st.ino, st.mtimeNs / b, st.mtimeNs % b, st.ctimeNs / b, st.ctimeNs % b].map(Number), f);
    }
    const missing = t.throws(() => statInto(join(dir, 'gone.sql'), out));
    t.is(missing.code, 'ENOENT');
    t.true(missing.message.includes('gone.sql'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('times before 1970 are floored seconds and nanoseconds from 0 to 999,999,999, as the system gives them', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pgpatch-stat-'));
  try {
    const f = join(dir, 'old.sql');
    writeFileSync(f, '');
    utimesSync(f, new Date(-1250), new Date(-1250)); // a Date: Node reads a negative number as now
    const out = newFileStat();
    statInto(f, out);
    t.deepEqual([out[2], out[3]], [-2, 750000000]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
