// The round trip that proves `diff` right: build A and B from SQL, apply diff(A, B) to A, and A
// must equal B by compareModels (column order aside), diff it again to nothing (convergence),
// and, where a pg_dump of the server's major is installed (Debian's 15), give the same pg_dump
// as B; then the same from B to A. Shared by roundtrip.test.mjs and bench/diff-roundtrip.mjs.
// Not a test file.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { changesAsSql, compareModels, connect, inspectDatabase, inspectDependencies, planDiff, targetFrom } from 'pgpatch';
import { cleanEnv, createDatabase, query } from '../helpers/database.mjs';

export const CORPUS = fileURLToPath(new URL('./corpus', import.meta.url));

const SECTIONS = ['both', 'from', 'to', 'data', 'after'];

/**
 * Every case of the corpus: files of `-- case: NAME` blocks, each with `-- from` and `-- to`
 * sections, an optional `-- both` part written before each of them, an optional `-- data` part
 * written after each (rows), and an optional `-- after` part run on each side once the diff has
 * been applied to it, which must succeed (an INSERT that a restarted sequence would make fail).
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
        const m = new RegExp(`^-- ${label}\\n([\\s\\S]*?)(?=^-- (${SECTIONS.join('|')})\\n|(?![\\s\\S]))`, 'm').exec(block);
        return m ? m[1] : '';
      };
      const [both, data] = [section('both'), section('data')];
      const side = (label) => (both + section(label)).trim() && both + section(label) + data;
      cases.push({ file, name, from: side('from'), to: side('to'), after: section('after') });
    }
  }
  return cases;
}

/** The model and dependencies of the database at `url` (marks.test.mjs reads with it too). */
export async function read(url) {
  const s = await connect(targetFrom(url, 'test'));
  try {
    return { model: await inspectDatabase(s), dependencies: await inspectDependencies(s) };
  } finally {
    await s.end();
  }
}

const PG_DUMP = { 15: '/usr/lib/postgresql/15/bin/pg_dump' };

/** The pg_dump of the server's major, when installed (pg_dump refuses a newer server). */
export function pgDumpFor(major) {
  return PG_DUMP[major] && existsSync(PG_DUMP[major]) ? PG_DUMP[major] : undefined;
}

/**
 * `pg_dump --schema-only` as a sorted list of lines without comments, settings and the
 * trailing commas of column lists: the same for two databases that differ only in column order.
 */
async function dumped(pgDump, url) {
  const { stdout } = await promisify(execFile)(pgDump, ['--schema-only', '--no-owner', url], { env: cleanEnv(), maxBuffer: 1 << 26 });
  return stdout
    .split('\n')
    .filter((l) => l.trim() && !/^--|^SET |^SELECT pg_catalog\.set_config|^\\(un)?restrict /.test(l))
    .map((l) => l.replace(/,$/, ''))
    .sort();
}

function dumpDifference(expected, actual) {
  const [e, a] = [new Set(expected), new Set(actual)];
  const lines = [
    ...expected.filter((l) => !a.has(l)).map((l) => `  in B only:    ${l}`),
    ...actual.filter((l) => !e.has(l)).map((l) => `  after only:   ${l}`),
  ];
  return lines.length ? lines.join('\n') : '  (the same lines, a different count of some)';
}

/**
 * One direction: the SQL diff wrote, and what still differs after it ran (or why it failed).
 * `toUrl`: a database with the TO schema, for pg_dump (`pgDump`, when there is one).
 */
async function oneWay(url, from, to, { after, pgDump, toUrl }) {
  const changes = planDiff({ from: from.model, to: to.model, fromDependencies: from.dependencies, toDependencies: to.dependencies });
  const sql = changesAsSql(changes);
  try {
    if (sql) await query(url, `begin;\n${sql}\ncommit;`);
  } catch (e) {
    return { ok: false, sql, cause: `apply failed: ${e.message}` };
  }
  const result = await compared(url, to, { pgDump, toUrl });
  if (result.ok && after?.trim()) {
    try {
      await query(url, after);
    } catch (e) {
      return { ok: false, sql, cause: `the data does not fit after the diff: ${e.message}` };
    }
  }
  return { ...result, sql };
}

async function compared(url, to, { pgDump, toUrl }) {
  const after = await read(url);
  const left = compareModels(to.model, after.model, { expected: 'in B', actual: 'after the diff' }).filter(
    (d) => d.kind !== 'column_order',
  );
  if (left.length) return { ok: false, cause: `still different: ${left[0].message}`, left: left.map((d) => d.message) };
  const again = changesAsSql(
    planDiff({ from: after.model, to: to.model, fromDependencies: after.dependencies, toDependencies: to.dependencies }),
  );
  if (again) return { ok: false, cause: `does not converge: a second diff is not empty:\n${again}` };
  if (pgDump) {
    const [e, a] = await Promise.all([dumped(pgDump, toUrl), dumped(pgDump, url)]);
    if (e.join('\n') !== a.join('\n')) return { ok: false, cause: `pg_dump differs:\n${dumpDifference(e, a)}` };
  }
  return { ok: true };
}

// Each round trip holds a few connections and up to three databases: a few at a time, or a
// corpus of a hundred cases run at once exceeds the test server's max_connections.
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

/** Both directions of a case on the server at `serverUrl` (of major `major`, for pg_dump). */
export function roundTrip(serverUrl, c, major) {
  return slot(() => roundTripNow(serverUrl, c, major));
}

async function roundTripNow(serverUrl, c, major) {
  const pgDump = pgDumpFor(major);
  // With pg_dump, a third database keeps A as it was, to compare B with after the way back.
  const dbs = await Promise.all([1, 2, ...(pgDump ? [3] : [])].map(() => createDatabase(serverUrl, 'pgpatch_diff')));
  const [a, b, a0] = dbs;
  try {
    await Promise.all([c.from && query(a.url, c.from), c.to && query(b.url, c.to), a0 && c.from && query(a0.url, c.from)]);
    const [ma, mb] = await Promise.all([read(a.url), read(b.url)]);
    const forward = await oneWay(a.url, ma, mb, { after: c.after, pgDump, toUrl: b.url });
    const backward = await oneWay(b.url, mb, ma, { after: c.after, pgDump, toUrl: a0?.url });
    return { forward, backward };
  } finally {
    await Promise.all(dbs.map((d) => d.drop()));
  }
}
