// The round trip that proves `diff` right: build A and B from SQL, apply diff(A, B) to A, and A
// must equal B by compareModels (column order aside); then the same from B to A. Shared by
// roundtrip.test.mjs and bench/diff-roundtrip.mjs. Not a test file.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { changesAsSql, compareModels, connect, inspectDatabase, inspectDependencies, planDiff, targetFrom } from 'pgpatch';
import { createDatabase, query } from '../helpers/database.mjs';

export const CORPUS = fileURLToPath(new URL('./corpus', import.meta.url));

/**
 * Every case of the corpus: files of `-- case: NAME` blocks, each with `-- from` and `-- to`
 * sections (and an optional `-- both` part written before each of them).
 */
export function corpusCases(dir = CORPUS) {
  const cases = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    const text = readFileSync(join(dir, file), 'utf8');
    for (const block of text.split(/^-- case: /m).slice(1)) {
      const name = block.slice(0, block.indexOf('\n')).trim();
      const section = (label) => {
        const m = new RegExp(`^-- ${label}\\n([\\s\\S]*?)(?=^-- (both|from|to)\\n|(?![\\s\\S]))`, 'm').exec(block);
        return m ? m[1] : '';
      };
      const both = section('both');
      cases.push({ file, name, from: both + section('from'), to: both + section('to') });
    }
  }
  return cases;
}

async function read(url) {
  const s = await connect(targetFrom(url, 'test'));
  try {
    return { model: await inspectDatabase(s), dependencies: await inspectDependencies(s) };
  } finally {
    await s.end();
  }
}

/** One direction: the SQL diff wrote, and what still differs after it ran (or why it failed). */
async function oneWay(url, from, to) {
  const changes = planDiff({ from: from.model, to: to.model, fromDependencies: from.dependencies, toDependencies: to.dependencies });
  const sql = changesAsSql(changes);
  try {
    if (sql) await query(url, `begin;\n${sql}\ncommit;`);
  } catch (e) {
    return { ok: false, sql, cause: `apply failed: ${e.message}` };
  }
  const after = await read(url);
  const left = compareModels(to.model, after.model, { expected: 'in B', actual: 'after the diff' }).filter(
    (d) => d.kind !== 'column_order',
  );
  return left.length
    ? { ok: false, sql, cause: `still different: ${left[0].message}`, left: left.map((d) => d.message) }
    : { ok: true, sql };
}

// Each round trip holds a few connections and two databases: a few at a time, or a corpus of a
// hundred cases run at once exceeds the test server's max_connections.
const SLOTS = 4;
let running = 0;
const waiting = [];
async function slot(fn) {
  if (running >= SLOTS) await new Promise((resolve) => waiting.push(resolve));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** Both directions of a case on the server at `serverUrl`. */
export function roundTrip(serverUrl, c) {
  return slot(() => roundTripNow(serverUrl, c));
}

async function roundTripNow(serverUrl, c) {
  const [a, b] = await Promise.all([createDatabase(serverUrl, 'pgpatch_diff'), createDatabase(serverUrl, 'pgpatch_diff')]);
  try {
    await Promise.all([c.from.trim() && query(a.url, c.from), c.to.trim() && query(b.url, c.to)]);
    const [ma, mb] = await Promise.all([read(a.url), read(b.url)]);
    const forward = await oneWay(a.url, ma, mb);
    const backward = await oneWay(b.url, mb, ma);
    return { forward, backward };
  } finally {
    await Promise.all([a.drop(), b.drop()]);
  }
}
