// One run at a time per database: eight migrate processes at once, and a lock held by someone else.
import test from 'ava';
import pg from 'pg';
import { query, useDatabase } from '../helpers/database.mjs';
import { makeProject, pgpatch, statuses } from '../helpers/project.mjs';

useDatabase(test);

test.afterEach.always((t) => t.context.project?.cleanup());

const LOCK = 'select pg_advisory_lock(1885827169, 1952671744)';

test('eight migrate processes at once: each patch applied exactly once, all succeed', async (t) => {
  const p = (t.context.project = makeProject({ database: 'create table log (id serial primary key, name text not null);\n' }));
  const { url } = t.context.db;
  // A record first, so the patches are applied rather than assumed; then the race.
  t.is((await pgpatch(p, url, 'migrate')).code, 0);
  const names = ['2024-01-01_a', '2024-02-01_b', '2024-03-01_c', '2024-04-01_d'];
  for (const n of names) p.patch(`${n}.sql`, `insert into log (name) values ('${n}');\nselect pg_sleep(0.05);\n`);
  const runs = await Promise.all(
    Array.from({ length: 8 }, () => pgpatch(p, url, 'migrate', ['--lock-timeout', '60', '--json'], { timeoutMs: 120000 })),
  );
  for (const r of runs) t.is(r.code, 0, r.stderr);
  const { rows } = await query(url, 'select name, count(*)::int as n from log group by name order by name');
  t.deepEqual(
    rows,
    names.map((name) => ({ name, n: 1 })),
  );
  t.deepEqual(await statuses(url), Object.fromEntries(names.map((n) => [n, 'applied'])));
  // Between them, the runs applied each patch once.
  const applied = runs.flatMap((r) =>
    JSON.parse(r.stdout)
      .outcomes.filter((o) => o.status === 'applied')
      .map((o) => o.name),
  );
  t.deepEqual(applied.sort(), names);
});

test('eight first runs at once on an empty database: built once, the record created once', async (t) => {
  const p = (t.context.project = makeProject({
    database: "create table log (id serial primary key, name text not null);\ninsert into log (name) values ('built');\n",
    patches: { '2024-01-01_a.sql': "insert into log (name) values ('a');\n" },
  }));
  const { url } = t.context.db;
  const runs = await Promise.all(
    Array.from({ length: 8 }, () => pgpatch(p, url, 'migrate', ['--lock-timeout', '60'], { timeoutMs: 120000 })),
  );
  for (const r of runs) t.is(r.code, 0, r.stderr);
  t.deepEqual((await query(url, 'select name from log')).rows, [{ name: 'built' }]);
  t.deepEqual(await statuses(url), { '2024-01-01_a': 'assumed' });
  t.is(runs.filter((r) => /built the empty database/.test(r.stderr)).length, 1);
});

async function blocker(url) {
  const client = new pg.Client({ connectionString: url, application_name: 'blocker' });
  await client.connect();
  await client.query(LOCK);
  return client;
}

test('a lock held by another session: --lock-timeout 0 fails at once with exit 5 and names the holder', async (t) => {
  const p = (t.context.project = makeProject({ patches: { '2024-01-01_a.sql': 'create table a (id int);\n' } }));
  const { url } = t.context.db;
  const client = await blocker(url);
  try {
    const pid = (await client.query('select pg_backend_pid() as pid')).rows[0].pid;
    const r = await pgpatch(p, url, 'migrate', ['--lock-timeout', '0']);
    t.is(r.code, 5, r.stderr);
    t.regex(r.stderr, /another pgpatch run holds the lock/);
    t.regex(r.stderr, new RegExp(`held by pid ${pid} \\(blocker,`));
    t.is((await query(url, "select to_regclass('schema_patch') as r")).rows[0].r, null, 'nothing was done');
    const json = await pgpatch(p, url, 'migrate', ['--json']);
    t.is(json.code, 5);
    t.is(JSON.parse(json.stdout).error.code, 'lock_timeout');
    // --plan takes no lock: it may look while another run works.
    t.is((await pgpatch(p, url, 'migrate', ['--plan'])).code, 0);
  } finally {
    await client.end();
  }
});

test('a lock held by another session: with --lock-timeout 5, migrate waits, says for whom, and succeeds once it is released', async (t) => {
  const p = (t.context.project = makeProject({ patches: { '2024-01-01_a.sql': 'create table a (id int);\n' } }));
  const { url } = t.context.db;
  const client = await blocker(url);
  let released = false;
  try {
    const pid = (await client.query('select pg_backend_pid() as pid')).rows[0].pid;
    const run = pgpatch(p, url, 'migrate', ['--lock-timeout', '5']);
    // Release once migrate is seen waiting (its application_name starts with 'pgpatch migrate').
    for (let i = 0; i < 200; i++) {
      const { rows } = await client.query(
        "select count(*)::int as n from pg_stat_activity where application_name like 'pgpatch migrate%' and datname = current_database()",
      );
      if (rows[0].n > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 1000));
    t.is((await query(url, "select to_regclass('schema_patch') as r")).rows[0].r, null, 'it waits without doing anything');
    await client.query('select pg_advisory_unlock(1885827169, 1952671744)');
    released = true;
    const r = await run;
    t.is(r.code, 0, r.stderr);
    t.regex(r.stderr, new RegExp(`blocked by another run \\(pid ${pid}, blocker, since .*\\); waiting up to 5 s`));
    t.deepEqual(await statuses(url), { '2024-01-01_a': 'assumed' });
  } finally {
    if (!released) await client.query('select pg_advisory_unlock_all()').catch(() => undefined);
    await client.end();
  }
});
