// A renamed or missing patch is never re-applied silently, and --fake/--skip/--accept-checksum
// touch only what they name.
import test from 'ava';
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { query } from '../helpers/database.mjs';
import { pgpatch, record, statuses } from '../helpers/project.mjs';
import { eachServer } from '../helpers/servers.mjs';
import { LOG, trustProject } from './_trust.mjs';

eachServer(test, 'a renamed applied patch is refused with exit 2 and the command that records the new name', async (t, server) => {
  const { p, url } = await trustProject(t, server);
  p.patch('2024-01-01_a.sql', "insert into log (name) values ('a');\n");
  t.is((await pgpatch(p, url, 'migrate')).code, 0);
  renameSync(join(p.patchesDir, '2024-01-01_a.sql'), join(p.patchesDir, '2024-01-01_a_renamed.sql'));
  for (const args of [[], ['--strict'], ['--plan'], ['--check']]) {
    const r = await pgpatch(p, url, 'migrate', args);
    t.is(r.code, 2, `${args}: ${r.stderr}`);
    t.regex(
      r.stderr,
      /patch 2024-01-01_a_renamed has the same content as 2024-01-01_a, which is recorded as applied and no longer on disk/,
    );
    t.regex(r.stderr, /pgpatch migrate --fake 2024-01-01_a_renamed/);
  }
  t.deepEqual(
    (await query(url, LOG)).rows.map((r) => r.name),
    ['a'],
  );
  // The command it gives records the new name, and runs nothing.
  t.is((await pgpatch(p, url, 'migrate', ['--fake', '2024-01-01_a_renamed'])).code, 0);
  t.deepEqual(
    (await query(url, LOG)).rows.map((r) => r.name),
    ['a'],
  );
  t.is((await pgpatch(p, url, 'migrate', ['--check'])).code, 0);
});

eachServer(test, 'a missing patches folder, or one without any of the applied patches, is a settings error (exit 2)', async (t, server) => {
  const { p, url } = await trustProject(t, server);
  p.patch('2024-01-01_a.sql', "insert into log (name) values ('a');\n");
  t.is((await pgpatch(p, url, 'migrate')).code, 0);
  for (const args of [['--check'], ['--plan'], []]) {
    const r = await pgpatch(p, url, 'migrate', [...args, '--patches-dir', 'schema/patchez']);
    t.is(r.code, 2, r.stderr);
    t.regex(r.stderr, /no patches folder: .*schema\/patchez/);
  }
  // The folder is there but has none of the applied patches (the wrong project, a wrong folder).
  rmSync(join(p.patchesDir, '2024-01-01_a.sql'));
  p.patch('2030-01-01_other.sql', "insert into log (name) values ('other');\n");
  for (const args of [['--check'], []]) {
    const r = await pgpatch(p, url, 'migrate', args);
    t.is(r.code, 2, r.stderr);
    t.regex(r.stderr, /none of the 1 patches the database records as applied is in /);
  }
  t.deepEqual(
    (await query(url, LOG)).rows.map((r) => r.name),
    ['a'],
  );
});

eachServer(
  test,
  '--fake and --skip refuse applied and assumed patches; --accept-checksum records an edit on purpose',
  async (t, server) => {
    const { p, url } = await trustProject(t, server);
    p.patch('2024-01-01_a.sql', "insert into log (name) values ('a');\n");
    t.is((await pgpatch(p, url, 'migrate')).code, 0);
    const before = (await record(url))[0].checksum;
    p.patch('2024-01-01_a.sql', "insert into log (name) values ('a');\n-- a comment added on purpose\n");
    for (const flag of ['--fake', '--skip']) {
      const r = await pgpatch(p, url, 'migrate', [flag, '2024-01-01_a']);
      t.is(r.code, 2, r.stderr);
      t.regex(r.stderr, new RegExp(`${flag} 2024-01-01_a: the patch is already applied`));
      t.regex(r.stderr, /--accept-checksum 2024-01-01_a/);
    }
    t.deepEqual(await statuses(url), { '2024-01-01_a': 'applied' });
    t.is((await record(url))[0].checksum, before, 'the checksum was not re-stamped');

    const planned = await pgpatch(p, url, 'migrate', ['--plan', '--accept-checksum', '2024-01']);
    t.is(planned.code, 0, planned.stderr);
    t.regex(planned.stdout, new RegExp(`would accept the edited file of 2024-01-01_a: checksum ${before} -> [0-9a-f]{64}`));
    const accepted = await pgpatch(p, url, 'migrate', ['--accept-checksum', '2024-01', '--strict']);
    t.is(accepted.code, 0, accepted.stderr);
    const after = (await record(url))[0].checksum;
    t.not(after, before);
    t.regex(accepted.stderr, new RegExp(`accepted the edited file of 2024-01-01_a: checksum ${before} -> ${after}`));
    t.deepEqual(await statuses(url), { '2024-01-01_a': 'applied' });
    t.deepEqual(
      (await query(url, LOG)).rows.map((r) => r.name),
      ['a'],
      'nothing ran again',
    );
    t.is((await pgpatch(p, url, 'migrate', ['--strict'])).code, 0, 'the edit is accepted now');
    // Not an applied patch, or one unchanged: refused.
    const unchanged = await pgpatch(p, url, 'migrate', ['--accept-checksum', '2024-01-01_a']);
    t.is(unchanged.code, 2);
    t.regex(unchanged.stderr, /unchanged since it was applied/);
    const ambiguous = await pgpatch(p, url, 'migrate', ['--fake', '2024']);
    p.patch('2024-02-01_b.sql', 'select 1;\n');
    const ambiguous2 = await pgpatch(p, url, 'migrate', ['--skip', '2024']);
    t.is(ambiguous.code, 2, 'the only patch starting 2024 is applied: refused');
    t.is(ambiguous2.code, 2);
    t.regex(ambiguous2.stderr, /--skip 2024: "2024" matches 2 patches: 2024-01-01_a, 2024-02-01_b/);
  },
);
