// Pre and post scripts beside a patch: NAME.pre.* and NAME.post.*, run with their folder as
// working directory and PATCH_DSN in the environment.
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { query, useDatabase } from '../helpers/database.mjs';
import { exists, pgpatch, projectWithRecord, record, statuses } from '../helpers/project.mjs';

useDatabase(test);

test.afterEach.always((t) => t.context.project?.cleanup());

const PSQL = existsSync('/usr/lib/postgresql/15/bin/psql') ? '/usr/lib/postgresql/15/bin/psql' : '/usr/bin/psql';
const LOG = 'create table log (id serial primary key, name text not null);\n';
/** A line of shell that logs `what` in the database through PATCH_DSN. */
const sqlLog = (what) => `${PSQL} -X -q -v ON_ERROR_STOP=1 "$PATCH_DSN" -c "insert into log (name) values ('${what}')"`;
const logged = async (url) => (await query(url, 'select name from log order by id')).rows.map((r) => r.name);

const setup = (t) => projectWithRecord(t, LOG);

test('pre and post scripts run in order around the patch, in their folder, with PATCH_DSN', async (t) => {
  const { p, url } = await setup(t);
  p.patch('2024-01-01_before.sql', "insert into log (name) values ('before');\n");
  p.patch('2024/05/2024-05-01_hooked.sql', "create table hooked (id int);\ninsert into log (name) values ('patch');\n");
  // The pre script sees the database before the patch, the post script after it.
  p.script(
    '2024/05/2024-05-01_hooked.pre.sh',
    [
      'pwd > pre-cwd.txt',
      'printf %s "$PATCH_DSN" > pre-dsn.txt',
      `${PSQL} -X -At "$PATCH_DSN" -c "select to_regclass('hooked') is null" > pre-saw.txt`,
      sqlLog('pre'),
      'echo "pre script says hello"',
    ].join('\n'),
  );
  p.script(
    '2024/05/2024-05-01_hooked.post.sh',
    [
      'pwd > post-cwd.txt',
      `${PSQL} -X -At "$PATCH_DSN" -c "select to_regclass('hooked') is not null" > post-saw.txt`,
      sqlLog('post'),
      'echo "post script complains" >&2',
    ].join('\n'),
  );
  p.patch('2024-06-01_after.sql', "insert into log (name) values ('after');\n");
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 0, r.stderr);
  t.deepEqual(await logged(url), ['before', 'pre', 'patch', 'post', 'after']);
  const folder = join(p.patchesDir, '2024', '05');
  const read = (f) => readFileSync(join(folder, f), 'utf8').trim();
  t.is(read('pre-cwd.txt'), folder);
  t.is(read('post-cwd.txt'), folder);
  t.is(read('pre-dsn.txt'), url);
  t.is(read('pre-saw.txt'), 't');
  t.is(read('post-saw.txt'), 't');
  // Their output is passed on.
  t.regex(r.stdout, /pre script says hello/);
  t.regex(r.stderr, /post script complains/);
  const rows = await record(url);
  const hooked = rows.find((x) => x.name === '2024-05-01_hooked');
  t.is(hooked.status, 'applied');
  t.is(hooked.stage, 'post');
  t.deepEqual(await statuses(url), { '2024-01-01_before': 'applied', '2024-05-01_hooked': 'applied', '2024-06-01_after': 'applied' });
  // The scripts are not patches of their own.
  t.is(rows.length, 3);
});

test('a failing pre script stops the run: exit 3, recorded failed in stage pre, the patch not applied', async (t) => {
  const { p, url } = await setup(t);
  p.patch('2024-01-01_first.sql', "insert into log (name) values ('first');\n");
  p.patch('2024-02-01_hooked.sql', "create table hooked (id int);\ninsert into log (name) values ('patch');\n");
  p.script('2024-02-01_hooked.pre.sh', `${sqlLog('pre')}\n[ -f ok ] || { echo "pre: not ready" >&2; exit 7; }`);
  p.patch('2024-03-01_third.sql', "insert into log (name) values ('third');\n");
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, /patch 2024-02-01_hooked failed in its pre script/);
  t.regex(r.stderr, /2024-02-01_hooked\.pre\.sh exited with status 7/);
  t.regex(r.stderr, /pre: not ready/);
  t.deepEqual(await statuses(url), { '2024-01-01_first': 'applied', '2024-02-01_hooked': 'failed/pre' });
  t.false(await exists(url, 'hooked'));
  t.deepEqual(await logged(url), ['first', 'pre']);
  const show = await pgpatch(p, url, 'showmigrations');
  t.regex(show.stdout, /2024-02-01_hooked\s+pending/, 'a patch whose pre script failed has not run: it is pending');

  // Once the pre script succeeds, the whole patch runs: pre script, patch, and the rest.
  p.patch('ok', '');
  const again = await pgpatch(p, url, 'migrate');
  t.is(again.code, 0, again.stderr);
  t.deepEqual(await logged(url), ['first', 'pre', 'pre', 'patch', 'third']);
  t.deepEqual(await statuses(url), { '2024-01-01_first': 'applied', '2024-02-01_hooked': 'applied', '2024-03-01_third': 'applied' });
});

test('a failing post script leaves the patch applied and the record failed in stage post; the next run runs only the post scripts', async (t) => {
  const { p, url } = await setup(t);
  p.patch('2024-02-01_hooked.sql', "create table hooked (id int);\ninsert into log (name) values ('patch');\n");
  p.script('2024-02-01_hooked.pre.sh', sqlLog('pre'));
  p.script('2024-02-01_hooked.post.sh', `${sqlLog('post')}\n[ -f ok ] || exit 1`);
  p.patch('2024-03-01_third.sql', "insert into log (name) values ('third');\n");
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, /patch 2024-02-01_hooked failed in its post script/);
  t.regex(r.stderr, /recorded as failed \(stage post\)/);
  t.true(await exists(url, 'hooked'), 'the patch stays applied');
  t.deepEqual(await statuses(url), { '2024-02-01_hooked': 'failed/post' });
  t.deepEqual(await logged(url), ['pre', 'patch', 'post']);
  const show = await pgpatch(p, url, 'showmigrations');
  t.regex(show.stdout, /\[P\] 2024-02-01_hooked\s+pending: its post scripts did not finish/);
  const plan = await pgpatch(p, url, 'migrate', ['--plan']);
  t.regex(plan.stdout, /would apply 2024-02-01_hooked \(post scripts only\)/);

  p.patch('ok', '');
  const again = await pgpatch(p, url, 'migrate');
  t.is(again.code, 0, again.stderr);
  t.deepEqual(await logged(url), ['pre', 'patch', 'post', 'post', 'third'], 'neither the pre script nor the patch ran again');
  t.deepEqual(await statuses(url), { '2024-02-01_hooked': 'applied', '2024-03-01_third': 'applied' });
});

test('a script that is not executable is an error that says chmod +x', async (t) => {
  const { p, url } = await setup(t);
  p.patch('2024-01-01_first.sql', "insert into log (name) values ('first');\n");
  p.patch('2024-02-01_hooked.sql', "insert into log (name) values ('patch');\n");
  const script = p.patch('2024-02-01_hooked.post.sh', `#!/bin/sh\n${sqlLog('post')}\n`, 0o644);
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, /2024-02-01_hooked\.post\.sh is not executable/);
  t.regex(r.stderr, new RegExp(`chmod \\+x ${script.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  t.deepEqual(await logged(url), [], 'found before any patch ran');
  t.deepEqual(await statuses(url), {});
});
