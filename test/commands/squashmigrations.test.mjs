// squashmigrations against a real record: what moves (with its scripts), what never does, git mv.
import test from 'ava';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  connect,
  ensureRecord,
  readRecord,
  writeRecord,
  writeRecords,
  findPatches,
  planSquash,
  squashMigrations,
  targetFrom,
} from 'pgpatch';
import { runCli } from '../helpers/cli.mjs';
import { useDatabase } from '../helpers/database.mjs';
import { git, gitProject, plainProject } from '../helpers/gitdir.mjs';

useDatabase(test);

const P = 'schema/patches';
const FILES = {
  'schema/database.sql': '-- entry\n',
  [`${P}/2024-01-05_applied.sql`]: 'select 1;\n',
  [`${P}/2024-01-05_applied.pre.sh`]: '#!/bin/sh\necho pre\n',
  [`${P}/2024-01-05_applied.post.sh`]: '#!/bin/sh\necho post\n',
  [`${P}/2024-02-10_assumed.sql`]: 'select 2;\n',
  [`${P}/2024-02-11~02_skipped.sql`]: 'select 3;\n',
  [`${P}/2024-03-01_failed.sql`]: 'select 4;\n',
  [`${P}/2024-03-02_applying.sql`]: 'select 5;\n',
  [`${P}/2025-06-30_pending.sql`]: 'select 6;\n',
  [`${P}/2025-07-01_recent.sql`]: 'select 7;\n',
  [`${P}/2024/01/2024-01-20_archived.sql`]: 'select 8;\n',
  [`${P}/initial_undated.sql`]: 'select 9;\n',
};

async function record(url, schema = 'public') {
  const s = await connect(targetFrom(url, 'test'));
  try {
    await ensureRecord(s, schema);
    await writeRecords(s, schema, [
      { name: '2024-01-05_applied', status: 'applied' },
      { name: '2024-02-10_assumed', status: 'assumed' },
      { name: '2024-02-11~02_skipped', status: 'skipped' },
      { name: '2025-07-01_recent', status: 'applied' },
      { name: '2024-01-20_archived', status: 'applied' },
      { name: 'initial_undated', status: 'applied' },
    ]);
    await writeRecord(s, schema, { name: '2024-03-01_failed', status: 'failed', error: 'boom' });
    await writeRecord(s, schema, { name: '2024-03-02_applying', status: 'applying', stage: 'patch' });
  } finally {
    await s.end();
  }
}

function tree(root) {
  const out = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else out.push(relative(join(root, P), join(dir, e.name)));
    }
  };
  walk(join(root, P));
  return out.sort();
}

const MOVED = [
  '2024/01/2024-01-05_applied.post.sh',
  '2024/01/2024-01-05_applied.pre.sh',
  '2024/01/2024-01-05_applied.sql',
  '2024/01/2024-01-20_archived.sql',
  '2024/02/2024-02-10_assumed.sql',
  '2024/02/2024-02-11~02_skipped.sql',
  '2024-03-01_failed.sql',
  '2024-03-02_applying.sql',
  '2025-06-30_pending.sql',
  '2025-07-01_recent.sql',
  'initial_undated.sql',
];

test('--dry-run lists the moves and moves nothing', async (t) => {
  const root = gitProject(t, FILES);
  await record(t.context.db.url);
  const before = tree(root);
  const r = await runCli(['squashmigrations', '--dry-run', '--before', '2025-01-01'], {
    cwd: root,
    env: { DATABASE_URL: t.context.db.url },
  });
  t.is(r.code, 0, r.stderr);
  t.deepEqual(r.stdout.trim().split('\n'), [
    `would move ${P}/2024-01-05_applied.sql -> ${P}/2024/01/2024-01-05_applied.sql`,
    `would move ${P}/2024-01-05_applied.pre.sh -> ${P}/2024/01/2024-01-05_applied.pre.sh`,
    `would move ${P}/2024-01-05_applied.post.sh -> ${P}/2024/01/2024-01-05_applied.post.sh`,
    `would move ${P}/2024-02-10_assumed.sql -> ${P}/2024/02/2024-02-10_assumed.sql`,
    `would move ${P}/2024-02-11~02_skipped.sql -> ${P}/2024/02/2024-02-11~02_skipped.sql`,
  ]);
  t.regex(r.stderr, /left .*initial_undated\.sql: its name does not start with a date/);
  t.regex(
    r.stderr,
    /would move 3 patch\(es\), 5 file\(s\); left 1 pending, 1 failed, 1 applying, 1 not before 2025-01-01, 1 undated, 1 already archived/,
  );
  t.deepEqual(tree(root), before);
});

test('moves applied, assumed and skipped patches with their scripts, by git mv; pending, failed, applying stay', async (t) => {
  const root = gitProject(t, FILES);
  await record(t.context.db.url);
  const names = findPatches(join(root, P)).map((p) => p.name);
  const r = await runCli(['squashmigrations'], { cwd: root, env: { DATABASE_URL: t.context.db.url } });
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /moved 4 patch\(es\), 6 file\(s\) with git mv/);
  t.deepEqual(
    tree(root).filter((f) => !f.startsWith('2025/')),
    MOVED.filter((f) => f !== '2025-07-01_recent.sql').sort(),
  );
  t.true(existsSync(join(root, P, '2025/07/2025-07-01_recent.sql')));
  const status = git(root, 'status', '--porcelain');
  t.regex(status, /^R {2}schema\/patches\/2024-01-05_applied\.pre\.sh -> schema\/patches\/2024\/01\/2024-01-05_applied\.pre\.sh$/m);
  t.notRegex(status, /^\?\?/m);
  // The same patches, found the same way, in the same order: migrate and showmigrations see no change.
  t.deepEqual(
    findPatches(join(root, P)).map((p) => p.name),
    names,
  );
  const moved = findPatches(join(root, P)).find((p) => p.name === '2024-01-05_applied');
  t.deepEqual([moved.pre.length, moved.post.length], [1, 1]);
  // A second run has nothing left to do.
  const again = await runCli(['squashmigrations', '--json'], { cwd: root, env: { DATABASE_URL: t.context.db.url } });
  t.deepEqual(JSON.parse(again.stdout).moves, []);
});

test('the database is only read', async (t) => {
  const root = plainProject(t, FILES);
  await record(t.context.db.url);
  const s = await connect(targetFrom(t.context.db.url, 'test'));
  const before = await readRecord(s, 'public');
  await squashMigrations({ target: targetFrom(t.context.db.url, 'test'), patchesDir: join(root, P) });
  t.deepEqual(await readRecord(s, 'public'), before);
  await s.end();
});

test('--by-year, outside git: plain renames, executable bits kept', async (t) => {
  const root = plainProject(t, FILES);
  const { chmodSync } = await import('node:fs');
  chmodSync(join(root, P, '2024-01-05_applied.pre.sh'), 0o755);
  await record(t.context.db.url);
  const r = await squashMigrations({
    target: targetFrom(t.context.db.url, 'test'),
    patchesDir: join(root, P),
    byYear: true,
  });
  t.deepEqual(r.via, { git: 0, rename: 7 });
  t.true(existsSync(join(root, P, '2024/2024-01-05_applied.sql')));
  t.true(existsSync(join(root, P, '2024/2024-01-20_archived.sql')), 'moved from 2024/01/ to 2024/');
  t.true(existsSync(join(root, P, '2025/2025-07-01_recent.sql')));
  t.true(existsSync(join(root, P, '2025-06-30_pending.sql')));
  t.is(statSync(join(root, P, '2024/2024-01-05_applied.pre.sh')).mode & 0o111, 0o111);
});

test('no record table: nothing counts as applied, nothing moves', async (t) => {
  const root = plainProject(t, FILES);
  const r = await runCli(['squashmigrations'], { cwd: root, env: { DATABASE_URL: t.context.db.url } });
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /has no public\.schema_patch table/);
  t.is(tree(root).filter((f) => f.includes('/')).length, 1);
});

test('--record-schema reads the record from another schema', async (t) => {
  const root = plainProject(t, FILES);
  await record(t.context.db.url, 'ops');
  const r = await runCli(['squashmigrations', '--dry-run', '--json', '--record-schema', 'ops'], {
    cwd: root,
    env: { DATABASE_URL: t.context.db.url },
  });
  t.is(r.code, 0, r.stderr);
  t.is(JSON.parse(r.stdout).moves.length, 4);
});

test('bad --before is exit 2 before connecting; a taken destination moves nothing', async (t) => {
  const root = plainProject(t, { ...FILES, [`${P}/2024/02/2024-02-10_assumed.pre.sh`]: 'stray\n' });
  const bad = await runCli(['squashmigrations', '--before', '2024-13-01'], {
    cwd: root,
    env: { DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/x' },
  });
  t.is(bad.code, 2);
  t.regex(bad.stderr, /--before expects a day as YYYY-MM-DD/);
  // The stray file is not a hook of the patch where it is: the real hook would land on it.
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(root, P, '2024-02-10_assumed.pre.sh'), '#!/bin/sh\n');
  await record(t.context.db.url);
  const before = tree(root);
  const r = await runCli(['squashmigrations'], { cwd: root, env: { DATABASE_URL: t.context.db.url } });
  t.is(r.code, 2);
  t.regex(r.stderr, /a file is already there/);
  t.deepEqual(tree(root), before);
});

test('planSquash: statuses and dates decide, names without a real date stay', (t) => {
  const root = plainProject(t, { [`${P}/2024-02-30_bad_day.sql`]: 'x\n', [`${P}/2024-02-28_ok.sql`]: 'select 1;\n  \\ir ../lib/x.sql\n' });
  const rec = new Map([
    ['2024-02-30_bad_day', { name: '2024-02-30_bad_day', status: 'applied' }],
    ['2024-02-28_ok', { name: '2024-02-28_ok', status: 'applied' }],
  ]);
  const plan = planSquash(join(root, P), rec, { before: '2024-02-28' });
  t.deepEqual(plan.moves, []);
  t.deepEqual(
    plan.stays.map((s) => [s.name, s.reason]),
    [
      ['2024-02-28_ok', 'too-recent'],
      ['2024-02-30_bad_day', 'undated'],
    ],
  );
  const [move] = planSquash(join(root, P), rec).moves;
  t.is(move.name, '2024-02-28_ok');
  t.true(move.relativeIncludes, 'its \\ir will resolve from the new folder: reported');
});
