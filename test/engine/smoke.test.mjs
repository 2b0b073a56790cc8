import test from 'ava';
import { loadScript, targetFrom } from 'pgpatch';
import { useDatabase, query } from '../helpers/database.mjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

useDatabase(test);

test('loads a script with an include and reports statements', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pgpatch-smoke-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'main.sql'), 'create table a (id int);\n\\i b.sql\n');
  writeFileSync(join(dir, 'b.sql'), 'insert into a values (1), (2);\n');
  const r = await loadScript({ target: targetFrom(t.context.db.url, 'test'), entry: join(dir, 'main.sql') });
  t.is(r.statements, 2);
  const { rows } = await query(t.context.db.url, 'select count(*)::int as n from a');
  t.is(rows[0].n, 2);
});
