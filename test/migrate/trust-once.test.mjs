// A patch is applied at most once, whatever happens to the run lock: the record row of a pending
// patch is a plain INSERT (a second run fails on its primary key, its transaction with it), and
// the run checks it still holds its lock at the end of every patch.
import test from 'ava';
import pg from 'pg';
import { query } from '../helpers/database.mjs';
import { migrateBackend, pgpatch, startPgpatch, statuses, waitFor } from '../helpers/project.mjs';
import { eachServer } from '../helpers/servers.mjs';
import { LOG, trustProject } from './_trust.mjs';

// The run lock is held by a connection of its own, never by the session the patches run in: no
// statement of a patch can release it (patches/lock.ts).
eachServer(
  test,
  'a patch calling pg_advisory_unlock_all() while a second run waits: the lock stays with the first run',
  async (t, server) => {
    const { p, url } = await trustProject(t, server);
    p.patch(
      '2024-01-01_data.sql',
      "insert into log (name) values ('data');\nselect case when :unlock then pg_advisory_unlock_all() end;\nselect pg_sleep(:sleep);\n",
    );
    p.patch('2024-02-01_next.sql', "insert into log (name) values ('next');\n");
    const first = startPgpatch(p, url, 'migrate', ['-v', 'unlock=true', '-v', 'sleep=3', '--json']);
    await migrateBackend(url);
    const second = await pgpatch(p, url, 'migrate', ['-v', 'unlock=false', '-v', 'sleep=0', '--lock-timeout', '60', '--json']);
    const a = await first.done;
    t.is(a.code, 0, a.stderr);
    t.is(second.code, 0, second.stderr);
    t.deepEqual(
      JSON.parse(second.stdout).outcomes.map((o) => o.status),
      [],
      'the second run found nothing left to do',
    );
    t.deepEqual(
      (await query(url, LOG)).rows.map((r) => r.name),
      ['data', 'next'],
    );
    t.deepEqual(await statuses(url), { '2024-01-01_data': 'applied', '2024-02-01_next': 'applied' });
  },
);

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

/** Ends the session that holds the run lock, and waits until it is gone (PostgreSQL 14+). */
const END_LOCK_SESSION = `select pg_terminate_backend(l.pid, 10000) from pg_locks l
  where l.locktype = 'advisory' and l.classid = 1885827169 and l.objid = 1952671744 and l.objsubid = 2 and l.granted
    and l.database = (select oid from pg_database where datname = current_database());\n`;

eachServer(test, 'a patch that ends the session holding the run lock is rolled back, and the run stops naming it', async (t, server) => {
  const { p, url } = await trustProject(t, server);
  p.patch('2024-01-01_end.sql', `insert into log (name) values ('end');\n${END_LOCK_SESSION}`);
  p.patch('2024-02-01_next.sql', "insert into log (name) values ('next');\n");
  const r = await pgpatch(p, url, 'migrate', ['--json']);
  t.is(r.code, 5, r.stderr);
  t.like(JSON.parse(r.stdout).error, { code: 'run_lock_lost', patch: '2024-01-01_end', rolledBack: true });
  t.deepEqual((await query(url, LOG)).rows, []);
  t.deepEqual(await statuses(url), {});
});

eachServer(
  test,
  'a no-transaction patch that ends the session holding the run lock: recorded applied, and the run stops after it naming it',
  async (t, server) => {
    const { p, url } = await trustProject(t, server);
    p.patch('2024-01-01_end.sql', `-- pgpatch: no-transaction\n${END_LOCK_SESSION}`);
    p.patch('2024-02-01_next.sql', "insert into log (name) values ('next');\n");
    const r = await pgpatch(p, url, 'migrate');
    t.is(r.code, 5, r.stderr);
    t.regex(r.stderr, /run lock was lost while patch 2024-01-01_end ran/);
    t.regex(r.stderr, /recorded applied/);
    t.deepEqual(await statuses(url), { '2024-01-01_end': 'applied' });
    t.deepEqual((await query(url, LOG)).rows, []);
  },
);

// A patch that unlocks pgpatch's own key runs in a session that does not hold it: the unlock
// fails (the server's WARNING is the answer to the patch's own statement) and the lock is never
// free. A second session tries to take it all along: it must never get it.
eachServer(test, "a patch that unlocks pgpatch's key, once or twice: the lock is never free and the run goes on", async (t, server) => {
  const { p, url } = await trustProject(t, server);
  const unlock = 'select pg_advisory_unlock(1885827169, 1952671744);\n';
  p.patch('2024-01-01_once.sql', `insert into log (name) values ('once');\n${unlock}`);
  p.patch('2024-02-01_twice.sql', `insert into log (name) values ('twice');\n${unlock}${unlock}`);
  for (let i = 3; i <= 20; i++) p.patch(`2024-03-${String(i).padStart(2, '0')}_more.sql`, `insert into log (name) values ('more ${i}');\n`);
  const prober = new pg.Client({ connectionString: url });
  await prober.connect();
  let probing = true;
  // Taken before the run starts, or after it ends, the lock is free; in between (some patches
  // committed, not all), it must never be.
  const midRun = [];
  const probe = (async () => {
    while (probing) {
      const { rows } = await prober.query(
        'select pg_try_advisory_lock(1885827169, 1952671744) as ok, (select count(*)::int from log) as logged',
      );
      if (rows[0].ok) {
        if (rows[0].logged > 0 && rows[0].logged < 20) midRun.push(rows[0].logged);
        await prober.query('select pg_advisory_unlock(1885827169, 1952671744)');
      }
    }
  })();
  let r;
  try {
    // The prober takes the lock now and then before the run starts: the run waits for it.
    r = await pgpatch(p, url, 'migrate', ['--lock-timeout', '60']);
  } finally {
    probing = false;
    await probe;
    await prober.end();
  }
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /2024-01-01_once\.sql:2: WARNING: {2}you don't own a lock of type ExclusiveLock/);
  t.is((await query(url, LOG)).rows.length, 20);
  t.is(Object.keys(await statuses(url)).length, 20);
  t.deepEqual(midRun, [], 'patches committed when the prober found the lock free');
});
