// --plan, --dry-run and --check say what migrate then does: both go through one selection
// (selectPatches), so each row here is "the plan says X, then migrate does X".
import test from 'ava';
import { query } from '../helpers/database.mjs';
import { pgpatch, statuses } from '../helpers/project.mjs';
import { eachServer } from '../helpers/servers.mjs';
import { LOG, trustProject } from './_trust.mjs';

const FAILING_NO_TX = "-- pgpatch: no-transaction\ninsert into log (name) values ('half');\nselect 1/:zero;\n";

eachServer(
  test,
  'a failed no-transaction patch: the plan refuses as migrate does, and with --retry both run it again',
  async (t, server) => {
    const { p, url } = await trustProject(t, server);
    p.patch('2024-01-01_half.sql', FAILING_NO_TX);
    t.is((await pgpatch(p, url, 'migrate', ['-v', 'zero=0'])).code, 3);
    t.deepEqual(await statuses(url), { '2024-01-01_half': 'failed/patch' });

    const planned = await pgpatch(p, url, 'migrate', ['--plan', '-v', 'zero=0']);
    const ran = await pgpatch(p, url, 'migrate', ['-v', 'zero=0']);
    t.is(planned.code, 2, planned.stderr);
    t.is(ran.code, 2, ran.stderr);
    t.regex(planned.stderr, /patch 2024-01-01_half failed while running outside a transaction/);
    // The real run first says where it writes (the plan writes nothing); the rest is the same.
    t.is(planned.stderr, ran.stderr.replace(/^pgpatch: migrating .*\n/m, ''));
    t.is((await pgpatch(p, url, 'migrate', ['--check', '-v', 'zero=0'])).code, 2);
    // JSON: the same refusal, not "would_apply".
    const json = await pgpatch(p, url, 'migrate', ['--plan', '--json', '-v', 'zero=0']);
    t.is(JSON.parse(json.stdout).error.code, 'patch_set');

    // With --retry (a prefix will do): planned as a retry, then run again.
    const retryPlan = await pgpatch(p, url, 'migrate', ['--plan', '--json', '--retry', '2024-01', '-v', 'zero=1']);
    t.is(retryPlan.code, 0, retryPlan.stderr);
    t.like(JSON.parse(retryPlan.stdout).outcomes[0], { name: '2024-01-01_half', status: 'would_apply', retry: true });
    t.regex(
      (await pgpatch(p, url, 'migrate', ['--plan', '--retry', '2024-01', '-v', 'zero=1'])).stdout,
      /would run again \(--retry\) 2024-01-01_half/,
    );
    const retried = await pgpatch(p, url, 'migrate', ['--retry', '2024-01', '-v', 'zero=1']);
    t.is(retried.code, 0, retried.stderr);
    t.deepEqual(await statuses(url), { '2024-01-01_half': 'applied' });
  },
);

eachServer(test, '--strict with an edited patch: the plan refuses as migrate does', async (t, server) => {
  const { p, url } = await trustProject(t, server);
  p.patch('2024-01-01_a.sql', "insert into log (name) values ('a');\n");
  t.is((await pgpatch(p, url, 'migrate')).code, 0);
  p.patch('2024-01-01_a.sql', "insert into log (name) values ('a, edited');\n");
  p.patch('2024-02-01_b.sql', "insert into log (name) values ('b');\n");
  const planned = await pgpatch(p, url, 'migrate', ['--plan', '--strict']);
  const checked = await pgpatch(p, url, 'migrate', ['--check', '--strict']);
  const ran = await pgpatch(p, url, 'migrate', ['--strict']);
  t.is(planned.code, 2, planned.stderr);
  t.is(checked.code, 2, checked.stderr);
  t.is(ran.code, 2, ran.stderr);
  t.regex(planned.stderr, /patches edited after they were applied: 2024-01-01_a/);
  t.deepEqual(
    (await query(url, LOG)).rows.map((r) => r.name),
    ['a'],
  );
});

eachServer(test, '--fake and --skip: the plan says they record only what they name, and migrate runs nothing else', async (t, server) => {
  const { p, url } = await trustProject(t, server);
  p.patch('2024-01-01_a.sql', "insert into log (name) values ('a');\n");
  p.patch('2024-02-01_b.sql', "insert into log (name) values ('b');\n");
  p.patch('2024-03-01_c.sql', "insert into log (name) values ('c');\n");
  const planned = await pgpatch(p, url, 'migrate', ['--plan', '--fake', '2024-01', '--skip', '2024-02-01_b']);
  t.is(planned.code, 0, planned.stderr);
  t.regex(planned.stdout, /would record 2024-01-01_a as applied without running it \(--fake\)/);
  t.regex(planned.stdout, /would record 2024-02-01_b as skipped forever \(--skip\)/);
  t.notRegex(planned.stdout, /would apply/);
  const json = JSON.parse((await pgpatch(p, url, 'migrate', ['--plan', '--json', '--fake', '2024-01', '--skip', '2024-02-01_b'])).stdout);
  t.deepEqual(
    json.outcomes.map((o) => [o.name, o.status]),
    [
      ['2024-01-01_a', 'would_fake'],
      ['2024-02-01_b', 'would_skip'],
    ],
  );

  const ran = await pgpatch(p, url, 'migrate', ['--fake', '2024-01', '--skip', '2024-02-01_b']);
  t.is(ran.code, 0, ran.stderr);
  t.deepEqual(await statuses(url), { '2024-01-01_a': 'applied', '2024-02-01_b': 'skipped' });
  t.deepEqual((await query(url, LOG)).rows, [], 'nothing ran, not even the third patch');
  t.is((await pgpatch(p, url, 'migrate', ['--check'])).code, 1, 'the third is still pending');
});

eachServer(test, 'a database that needs a baseline: --check and --plan exit 2, as migrate does', async (t, server) => {
  const { p, url } = await trustProject(t, server, { record: false });
  await query(url, 'create table existing (id int)');
  p.patch('2024-01-01_a.sql', "insert into log (name) values ('a');\n");
  const checked = await pgpatch(p, url, 'migrate', ['--check']);
  const planned = await pgpatch(p, url, 'migrate', ['--plan']);
  const ran = await pgpatch(p, url, 'migrate');
  t.is(checked.code, 2, checked.stderr);
  t.is(planned.code, 2, planned.stderr);
  t.is(ran.code, 2, ran.stderr);
  t.regex(checked.stderr, /has objects of its own but no public\.schema_patch record/);
  t.is(await statuses(url), null);
});
