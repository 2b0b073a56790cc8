// migrate through a real PgBouncer: in transaction mode each transaction may run on another
// server connection (the run's session advisory lock, and the patch's session, would not be
// one), so migrate refuses before doing anything; session mode keeps one server connection per
// client and works.
import test from 'ava';
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
}
