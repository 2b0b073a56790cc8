// file-stat.ts gives the checksum cache its stat: exactly what fs.statSync gives (the cache
// compares them exactly), statSync's errors for files it cannot stat, and only through public
// APIs (no process.binding, deprecated as DEP0111).
import test from 'ava';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Every call of process.binding in this process is seen (each test file runs in a process of its own).
const bindingCalls = [];
const binding = process.binding;
process.binding = (name) => {
  bindingCalls.push(name);
  return binding.call(process, name);
};

const require = createRequire(import.meta.url);
const { newFileStat, statInto } = require('../../dist/engine/patches/file-stat.js');

test('size, inode, mtime and ctime (microseconds) as fs.statSync gives them, for each file', (t) => {
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
      const st = statSync(f);
      t.deepEqual([...out], [st.size, st.ino, Math.round(st.mtimeMs * 1000), Math.round(st.ctimeMs * 1000)], f);
      // Within a microsecond of the nanoseconds the system gives.
      const ns = statSync(f, { bigint: true });
      t.true(Math.abs(out[2] * 1000 - Number(ns.mtimeNs)) <= 1000, f);
      t.true(Math.abs(out[3] * 1000 - Number(ns.ctimeNs)) <= 1000, f);
    }
    const missing = t.throws(() => statInto(join(dir, 'gone.sql'), out));
    t.is(missing.code, 'ENOENT');
    t.true(missing.message.includes('gone.sql'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('times before 1970 are negative microseconds', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pgpatch-stat-'));
  try {
    const f = join(dir, 'old.sql');
    writeFileSync(f, '');
    utimesSync(f, new Date(-1250), new Date(-1250)); // a Date: Node reads a negative number as now
    const out = newFileStat();
    statInto(f, out);
    t.is(out[2], -1250000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no process.binding: stats go through the fs module', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pgpatch-stat-'));
  try {
    const f = join(dir, 'a.sql');
    writeFileSync(f, 'select 1;\n');
    const out = newFileStat();
    for (let i = 0; i < 3; i++) statInto(f, out);
    t.deepEqual(bindingCalls, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
