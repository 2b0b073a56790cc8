// migrate through a real PgBouncer: in transaction mode each transaction may run on another
// server connection (the run's session advisory lock, and the patch's session, would not be
// one), so migrate refuses before doing anything; session mode keeps one server connection per
// client and works. In session mode without a reset query, what a client left on its server
// connection is seen by the next: neither migrate's plan nor its lock watch leaves a setting.
import test from 'ava';
import pg from 'pg';
import { createDatabase, query } from '../helpers/database.mjs';
import { PGBOUNCER, startPgBouncer } from '../helpers/pgbouncer.mjs';
import { eachServer } from '../helpers/servers.mjs';
import { FAILS_AT_COMMIT, initRecord, makeProject, pgpatch, statuses } from '../helpers/project.mjs';

async function setup(t, server, mode) {
  const db = await createDatabase(server.url, 'pgpatch_pooler');
  const p = makeProject({ database: 'create table log (v text);\n' });
  const bouncer = await startPgBouncer(server.url, mode);
  t.teardown(async () => {
    await bouncer.stop();
    p.cleanup();
    await db.drop();
  });
  // The record is made directly, so that the patch below is pending (not assumed).
  await initRecord(p, db.url);
  p.patch('2024-01-01_a.sql', "create table a (id int);\ninsert into log (v) values ('a');\n");
  return { p, direct: db.url, pooled: bouncer.urlFor(db.name) };
}

if (!PGBOUNCER) {
  test.skip('migrate through PgBouncer: pgbouncer is not installed (Debian package pgbouncer; .ci/run installs it)', () => undefined);
} else {
  eachServer(
    test,
    'through PgBouncer in transaction mode, migrate refuses (exit 2) before any patch runs, --plan too',
    async (t, server) => {
      const { p, direct, pooled } = await setup(t, server, 'transaction');
      const r = await pgpatch(p, pooled, 'migrate');
      t.is(r.code, 2, r.stderr);
      t.regex(
        r.stderr,
        /goes through a connection pooler in transaction \(or statement\) mode: a second connection was given the same server session/,
      );
      t.regex(r.stderr, /hint: point migrate at the PostgreSQL server itself/);
      t.deepEqual(await statuses(direct), {}, 'nothing recorded');
      t.is((await query(direct, "select to_regclass('a') as r")).rows[0].r, null, 'nothing applied');
      const plan = await pgpatch(p, pooled, 'migrate', ['--plan']);
      t.is(plan.code, 2, plan.stderr);
      const json = await pgpatch(p, pooled, 'migrate', ['--json']);
      t.is(json.code, 2);
      t.is(JSON.parse(json.stdout).error.code, 'transaction_pooler');
    },
  );

  eachServer(test, 'through PgBouncer in session mode, migrate applies the patches', async (t, server) => {
    const { p, direct, pooled } = await setup(t, server, 'session');
    const r = await pgpatch(p, pooled, 'migrate');
    t.is(r.code, 0, r.stderr);
    t.deepEqual(await statuses(direct), { '2024-01-01_a': 'applied' });
    t.deepEqual((await query(direct, 'select v from log')).rows, [{ v: 'a' }]);
    t.is((await pgpatch(p, pooled, 'migrate', ['--check'])).code, 0);
  });

  // migrate sends the next patch while one runs (apply.ts, sendPatch): through the pooler too,
  // a patch whose COMMIT fails stops the one sent behind it.
  eachServer(test, 'through PgBouncer in session mode, the patch sent behind a failed one does nothing', async (t, server) => {
    const { p, direct, pooled } = await setup(t, server, 'session');
    p.patch('2024-02-01_b.sql', `${FAILS_AT_COMMIT}insert into log (v) values ('b');\n`);
    p.patch('2024-03-01_c.sql', "insert into log (v) values ('c');\n");
    const r = await pgpatch(p, pooled, 'migrate');
    t.is(r.code, 3, r.stderr);
    t.deepEqual(await statuses(direct), { '2024-01-01_a': 'applied' });
    t.deepEqual((await query(direct, 'select v from log')).rows, [{ v: 'a' }]);
    p.patch('2024-02-01_b.sql', "insert into log (v) values ('b');\n");
    const again = await pgpatch(p, pooled, 'migrate');
    t.is(again.code, 0, again.stderr);
    t.deepEqual(
      (await query(direct, 'select v from log order by v')).rows.map((x) => x.v),
      ['a', 'b', 'c'],
    );
  });

  /** Both server connections of a pool of 2, held at once by two clients: what each lets a client do. */
  // As many clients as the pool has server connections: each client gets one of them.
  async function serverConnections(url, n = 3) {
    const clients = Array.from({ length: n }, () => new pg.Client({ connectionString: url }));
    try {
      await Promise.all(clients.map((c) => c.connect()));
      return await Promise.all(
        clients.map(async (c) => {
          const insert = await c.query("insert into log (v) values ('app')").then(
            () => 'accepted',
            (e) => e.message,
          );
          const { rows } = await c.query(`select pg_backend_pid() as pid,
            current_setting('default_transaction_read_only') as read_only, current_setting('lock_timeout') as lock_timeout,
            current_setting('statement_timeout') as statement_timeout,
            current_setting('client_connection_check_interval') as check_interval`);
          return { insert, ...rows[0] };
        }),
      );
    } finally {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    }
  }

  function untouched(t, seen, after, more = {}) {
    t.is(new Set(seen.map((s) => s.pid)).size, seen.length, 'one server connection each');
    for (const s of seen) t.like(s, { insert: 'accepted', read_only: 'off', lock_timeout: '0', statement_timeout: '0', ...more }, after);
  }

  eachServer(
    test,
    'through PgBouncer in session mode without a reset query, migrate --plan and the lock watch leave no setting on the server connections',
    async (t, server) => {
      const db = await createDatabase(server.url, 'pgpatch_pooler');
      const p = makeProject({ database: 'create table log (v text);\ncreate table t (id int);\n' });
      // migrate's session, its run lock's and its lock watch's: three server connections.
      const bouncer = await startPgBouncer(server.url, 'session', { poolSize: 3, resetQuery: '' });
      t.teardown(async () => {
        await bouncer.stop();
        p.cleanup();
        await db.drop();
      });
      await initRecord(p, db.url);
      p.patch('2024-01-01_a.sql', 'alter table t add column b int;\n');
      const pooled = bouncer.urlFor(db.name);
      // The pooler check's second connection makes the pool's second server connection.
      const plan = await pgpatch(p, pooled, 'migrate', ['--plan']);
      t.is(plan.code, 0, plan.stderr);
      untouched(t, await serverConnections(pooled), 'after migrate --plan', { check_interval: '0' });
      // A reader holds t (directly, not through the pooler): the patch waits, the lock watch looks.
      // (The run's own session keeps client_connection_check_interval: migrate sets it for its run.)
      const reader = new pg.Client({ connectionString: db.url, application_name: 'long reader' });
      await reader.connect();
      t.teardown(() => reader.end().catch(() => undefined));
      await reader.query('begin; select count(*) from t');
      const run = await pgpatch(p, pooled, 'migrate', ['--statement-lock-timeout', '1s', '--no-input']);
      t.not(run.code, 0);
      t.regex(run.stderr, /long reader/, 'the lock watch named the holder');
      await reader.query('commit');
      untouched(t, await serverConnections(pooled), 'after the lock watch');
    },
  );
}
