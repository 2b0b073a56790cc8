// After squashmigrations has moved the applied patches into YYYY/MM folders, the database and the
// patches still agree: migrate --check says nothing is pending, migrate runs nothing (not even a
// post script), showmigrations prints exactly what it printed before, and a new patch still applies.
import test from 'ava';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.mjs';
import { useDatabase } from '../helpers/database.mjs';
import { commitAll, gitProject, writeFiles } from '../helpers/gitdir.mjs';
import { exists, initRecord, statuses } from '../helpers/project.mjs';

useDatabase(test);

const P = 'schema/patches';

function pgpatch(root, url, args) {
  return runCli(args, { cwd: root, env: { DATABASE_URL: url, NODE_EXTRA_CA_CERTS: undefined } });
}

test('squashmigrations, then migrate --check, migrate and showmigrations see the same patches', async (t) => {
  const url = t.context.db.url;
  const root = gitProject(t, { 'schema/database.sql': 'create table t0 (id int);\n', [`${P}/.gitkeep`]: '' });
  // An empty record first, so that the patches below are applied (not assumed at baseline).
  await initRecord({ dir: root, patchesDir: join(root, P) }, url);
  writeFiles(root, {
    [`${P}/2024-01-05_one.sql`]: 'create table t1 (id int);\n',
    // Its post script leaves a trace each time it runs.
    [`${P}/2024-01-05_one.post.sh`]: '#!/bin/sh\necho ran >> "$PATCH_NAME.log"\n',
    [`${P}/2024-02-10_two.sql`]: 'begin;\ncreate table t2 (id int);\ncommit;\n',
    [`${P}/2025-03-01~02_three.sql`]: 'create table t3 (id int);\n',
  });
  chmodSync(join(root, P, '2024-01-05_one.post.sh'), 0o755);
  commitAll(root, 'three patches');
  const first = await pgpatch(root, url, ['migrate', '--no-input']);
  t.is(first.code, 0, first.stderr);
  t.deepEqual(await statuses(url), { '2024-01-05_one': 'applied', '2024-02-10_two': 'applied', '2025-03-01~02_three': 'applied' });
  const trace = join(root, P, '2024-01-05_one.log');
  t.is(readFileSync(trace, 'utf8'), 'ran\n');

  const before = await pgpatch(root, url, ['showmigrations']);
  t.is(before.code, 0, before.stderr);
  t.regex(before.stdout, /\[X\] 2024-01-05_one/);

  const squash = await pgpatch(root, url, ['squashmigrations']);
  t.is(squash.code, 0, squash.stderr + squash.stdout);
  for (const f of [
    '2024/01/2024-01-05_one.sql',
    '2024/01/2024-01-05_one.post.sh',
    '2024/02/2024-02-10_two.sql',
    '2025/03/2025-03-01~02_three.sql',
  ]) {
    t.true(existsSync(join(root, P, f)), `${f} moved`);
  }
  t.false(existsSync(join(root, P, '2024-01-05_one.sql')));
  const trace2 = join(root, P, '2024', '01', '2024-01-05_one.log');

  const checked = await pgpatch(root, url, ['migrate', '--check']);
  t.is(checked.code, 0, checked.stderr + checked.stdout);

  const again = await pgpatch(root, url, ['migrate', '--no-input', '--json']);
  t.is(again.code, 0, again.stderr);
  const result = JSON.parse(again.stdout);
  t.deepEqual(result.outcomes, [], 'nothing applied');
  t.deepEqual(result.edited, []);
  t.is(readFileSync(trace, 'utf8'), 'ran\n', 'the post script did not run again');
  t.false(existsSync(trace2), 'nor from its new folder');

  const after = await pgpatch(root, url, ['showmigrations']);
  t.is(after.code, 0, after.stderr);
  t.is(after.stdout, before.stdout, 'showmigrations prints the same lines');

  // A new patch, written after the squash: pending, then applied.
  writeFiles(root, { [`${P}/2026-01-01_four.sql`]: 'create table t4 (id int);\n' });
  const pending = await pgpatch(root, url, ['migrate', '--check']);
  t.is(pending.code, 1, pending.stderr + pending.stdout);
  t.regex(pending.stdout + pending.stderr, /2026-01-01_four/);
  const last = await pgpatch(root, url, ['migrate', '--no-input', '--json']);
  t.is(last.code, 0, last.stderr);
  t.deepEqual(
    JSON.parse(last.stdout).outcomes.map((o) => `${o.name} ${o.status}`),
    ['2026-01-01_four applied'],
  );
  t.true(await exists(url, 't4'));
  const final = await pgpatch(root, url, ['showmigrations']);
  t.is(final.stdout.split('\n').slice(0, 3).join('\n'), before.stdout.split('\n').slice(0, 3).join('\n'));
  t.regex(final.stdout, /^\[X\] 2026-01-01_four/m);
});
