// A patch is applied at most once, whatever happens to the run lock: the record row of a pending
// patch is a plain INSERT (a second run fails on its primary key, its transaction with it), and
// the run checks it still holds its lock at the end of every patch.
import test from 'ava';
import pg from 'pg';
import { query } from '../helpers/database.mjs';
import { migrateBackend, pgpatch, startPgpatch, statuses, waitFor } from '../helpers/project.mjs';
import { eachServer } from '../helpers/servers.mjs';
import { LOG, trustProject } from './_trust.mjs';

eachServer(test, 'a patch calling pg_advisory_unlock_all() while a second run waits: its data is applied once', async (t, server) => {
  const { p, url } = await trustProject(t, server);
  // The first run drops the lock (unlock=true) and then sleeps; the second one, which gets the
  // lock meanwhile, runs the same patch without dropping it.
  p.patch(
    '2024-01-01_data.sql',
    "insert into log (name) values ('data');\nselect case when :unlock then pg_advisory_unlock_all() end;\nselect pg_sleep(:sleep);\n",
  );
  p.patch('2024-02-01_next.sql', "insert into log (name) values ('next');\n");
  const first = startPgpatch(p, url, 'migrate', ['-v', 'unlock=true', '-v', 'sleep=3', '--json']);
  await migrateBackend(url);
  const second = await pgpatch(p, url, 'migrate', ['-v', 'unlock=false', '-v', 'sleep=0', '--lock-timeout', '60', '--json']);
  const a = await first.done;
  t.is(a.code, 5, a.stderr);
  t.like(JSON.parse(a.stdout).error, { code: 'run_lock_lost', patch: '2024-01-01_data', rolledBack: true });
  t.is(second.code, 0, second.stderr);
  t.deepEqual(
    (await query(url, LOG)).rows.map((r) => r.name),
    ['data', 'next'],
  );
  t.deepEqual(await statuses(url), { '2024-01-01_data': 'applied', '2024-02-01_next': 'applied' });
});

eachServer(
  test,
  'another session records the patch while migrate applies it: migrate fails on the key, its data rolled back',
  async (t, server) => {
    const { p, url } = await trustProject(t, server);
    p.patch('2024-01-01_data.sql', "insert into log (name) values ('data');\nselect pg_sleep(1);\n");
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      await other.query('begin');
      await other.query("insert into schema_patch (name, status) values ('2024-01-01_data', 'applied')");
      const run = startPgpatch(p, url, 'migrate', ['--json']);
      // migrate waits on the uncommitted row of the other session.
      await waitFor(
        async () =>
          (
            await query(
              url,
              `select 1 from pg_stat_activity where application_name like 'pgpatch migrate%'
      and datname = current_database() and wait_event_type = 'Lock'`,
            )
          ).rows.length,
        'migrate to wait on the row',
      );
      await other.query('commit');
      const r = await run.done;
      t.is(r.code, 5, r.stderr);
      t.like(JSON.parse(r.stdout).error, { code: 'patch_claimed', patch: '2024-01-01_data' });
    } finally {
      await other.end();
    }
    t.deepEqual((await query(url, LOG)).rows, []);
    t.deepEqual(await statuses(url), { '2024-01-01_data': 'applied' });
  },
);

eachServer(
  test,
  'a no-transaction patch that drops the run lock: recorded applied, and the run stops after it naming it',
  async (t, server) => {
    const { p, url } = await trustProject(t, server);
    p.patch('2024-01-01_unlock.sql', '-- pgpatch: no-transaction\nselect pg_advisory_unlock_all();\n');
    p.patch('2024-02-01_next.sql', "insert into log (name) values ('next');\n");
    const r = await pgpatch(p, url, 'migrate');
    t.is(r.code, 5, r.stderr);
    t.regex(r.stderr, /patch 2024-01-01_unlock released pgpatch's run lock/);
    t.regex(r.stderr, /recorded applied/);
    t.deepEqual(await statuses(url), { '2024-01-01_unlock': 'applied' });
    t.deepEqual((await query(url, LOG)).rows, []);
  },
);

// The run lock is held twice, so that the check at the end of each patch can give one back and
// take it again without letting it go (patches/lock.ts). A patch that unlocks pgpatch's own keys:
// twice leaves nothing held and is rolled back; once leaves one hold, which is still the lock.
eachServer(
  test,
  'a patch that unlocks the run lock twice is rolled back; once, it still holds it and the run goes on',
  async (t, server) => {
    const { p, url } = await trustProject(t, server);
    const unlock = 'select pg_advisory_unlock(1885827169, 1952671744);\n';
    p.patch('2024-01-01_once.sql', `insert into log (name) values ('once');\n${unlock}`);
    p.patch('2024-02-01_twice.sql', `insert into log (name) values ('twice');\n${unlock}${unlock}`);
    const r = await pgpatch(p, url, 'migrate', ['--json']);
    t.is(r.code, 5, r.stderr);
    t.like(JSON.parse(r.stdout).error, { code: 'run_lock_lost', patch: '2024-02-01_twice', rolledBack: true });
    t.deepEqual(
      (await query(url, LOG)).rows.map((row) => row.name),
      ['once'],
    );
    t.deepEqual(await statuses(url), { '2024-01-01_once': 'applied' });
  },
);
