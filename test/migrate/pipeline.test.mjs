// migrate writes the next patch's message while the one before it runs (apply.ts, sendPatch):
// the server goes from one patch to the next without waiting for this client. What must hold:
// the next patch does nothing unless the one before it committed, notices are placed in the
// patch that raised them, and a killed run leaves every patch applied with its record or neither.
import { existsSync, readFileSync } from 'node:fs';
import test from 'ava';
import pg from 'pg';
import { query } from '../helpers/database.mjs';
import { FAILS_AT_COMMIT, migrateBackend, pgpatch, startPgpatch, statuses, waitFor } from '../helpers/project.mjs';
import { eachServer } from '../helpers/servers.mjs';
import { LOG, trustProject } from './_trust.mjs';

const names = async (url) => (await query(url, LOG)).rows.map((r) => r.name);

eachServer(test, 'a patch that fails stops the run: the next one, already sent behind it, does nothing', async (t, server) => {
  const { p, url } = await trustProject(t, server);
  p.patch('2024-01-01_a.sql', "insert into log (name) values ('a');\n");
  p.patch('2024-02-01_b.sql', "insert into log (name) values ('b');\nselect 1/0;\n");
  p.patch('2024-03-01_c.sql', "insert into log (name) values ('c');\n");
  p.patch('2024-04-01_d.sql', "insert into log (name) values ('d');\n");
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, /2024-02-01_b\.sql:2:1: ERROR:  division by zero/);
  t.notRegex(r.stderr, /did not commit/, "the next patch's refusal is not what the user is told");
  t.deepEqual(await names(url), ['a']);
  t.deepEqual(await statuses(url), { '2024-01-01_a': 'applied' });
  // The session is usable after it (the failure is recorded where it must be, nothing else ran).
  p.patch('2024-02-01_b.sql', "insert into log (name) values ('b');\n");
  const again = await pgpatch(p, url, 'migrate');
  t.is(again.code, 0, again.stderr);
  t.deepEqual(await names(url), ['a', 'b', 'c', 'd']);
});

eachServer(test, 'a patch whose COMMIT fails (a deferred constraint) stops the next one too', async (t, server) => {
  const { p, url } = await trustProject(t, server);
  p.patch('2024-01-01_a.sql', `${FAILS_AT_COMMIT}insert into log (name) values ('a');\n`);
  p.patch('2024-02-01_b.sql', "insert into log (name) values ('b');\n");
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, /violates foreign key constraint/);
  t.deepEqual(await names(url), []);
  t.deepEqual(await statuses(url), {});
});

eachServer(test, 'notices of patches sent one behind the other name their own file', async (t, server) => {
  const { p, url } = await trustProject(t, server);
  for (const n of ['a', 'b', 'c'])
    p.patch(`2024-01-01_${n}.sql`, `insert into log (name) values ('${n}');\ndo $$ begin raise notice 'from ${n}'; end $$;\n`);
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 0, r.stderr);
  for (const n of ['a', 'b', 'c']) t.regex(r.stderr, new RegExp(`2024-01-01_${n}\\.sql:2: NOTICE:  from ${n}\\n`));
});

// Linux only: /proc/net/tcp shows what waits unread in the server's socket. The first patch waits
// on an advisory lock the test holds, for as long as the test looks. The next one is bigger than
// the backend's own receive buffer (8 kB): the server may have read the start of it already.
eachServer(test, "the next patch is on the server's socket while the one before it runs", async (t, server) => {
  if (!existsSync('/proc/net/tcp')) return t.pass('no /proc/net/tcp here: nothing to look at');
  const { p, url } = await trustProject(t, server);
  p.patch('2024-01-01_slow.sql', "insert into log (name) values ('slow');\nselect pg_advisory_xact_lock(4242);\n");
  p.patch('2024-02-01_next.sql', `insert into log (name) values ('next');\nselect length('${'x'.repeat(100_000)}');\n`);
  const holder = new pg.Client({ connectionString: url });
  await holder.connect();
  let run;
  try {
    await holder.query('select pg_advisory_lock(4242)');
    run = startPgpatch(p, url, 'migrate');
    const pid = await migrateBackend(url, '%pg_advisory_xact_lock%');
    const { rows } = await query(url, 'select client_port, inet_server_port() as server_port from pg_stat_activity where pid = $1', [pid]);
    const hex = (port) => port.toString(16).toUpperCase().padStart(4, '0');
    // The backend's end of the connection: local = the server's port, remote = the client's.
    const waiting = await waitFor(
      () => {
        for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
          const f = line.trim().split(/\s+/);
          if (f.length < 5 || !f[1].endsWith(`:${hex(rows[0].server_port)}`) || !f[2].endsWith(`:${hex(rows[0].client_port)}`)) continue;
          const rx = parseInt(f[4].split(':')[1], 16);
          if (rx > 0) return rx;
        }
        return 0;
      },
      "the next message in the server's socket",
      10000,
    );
    t.true(waiting > 50_000, `${waiting} bytes unread`);
  } finally {
    await holder.end();
  }
  const r = await run.done;
  t.is(r.code, 0, r.stderr);
  t.deepEqual(await names(url), ['slow', 'next']);
});

eachServer(
  test,
  'killed while a patch runs, with the next one sent: each patch is applied with its record, or neither',
  async (t, server) => {
    const { p, url } = await trustProject(t, server);
    // The first patch waits on an advisory lock the test holds until migrate is killed.
    p.patch('2024-01-01_slow.sql', "insert into log (name) values ('slow');\nselect pg_advisory_xact_lock(4243);\n");
    p.patch('2024-02-01_next.sql', "insert into log (name) values ('next');\n");
    p.patch('2024-03-01_last.sql', "insert into log (name) values ('last');\n");
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('select pg_advisory_lock(4243)');
      const run = startPgpatch(p, url, 'migrate');
      await migrateBackend(url, '%pg_advisory_xact_lock%');
      run.child.kill('SIGKILL');
      await run.done;
    } finally {
      await holder.end();
    }
    // The server finishes or abandons what it was sent; wait until the backend is gone.
    await waitFor(
      async () =>
        (
          await query(
            url,
            "select count(*)::int as n from pg_stat_activity where application_name like 'pgpatch migrate%' and datname = current_database()",
          )
        ).rows[0].n === 0,
      'the backend to end',
    );
    const logged = await names(url);
    const recorded = Object.keys(await statuses(url)).map((n) => n.replace(/^\d{4}-\d\d-\d\d_/, ''));
    t.deepEqual(recorded, logged);
    t.false(logged.includes('last'), 'nothing was sent beyond the next patch');
    const again = await pgpatch(p, url, 'migrate');
    t.is(again.code, 0, again.stderr);
    t.deepEqual(await names(url), ['slow', 'next', 'last']);
  },
);

eachServer(
  test,
  "a notice of a patch sent ahead is printed in that patch's progress line, not in the line before it",
  async (t, server) => {
    const { p, url } = await trustProject(t, server);
    for (const n of ['a', 'b', 'c'])
      p.patch(`2024-01-01_${n}.sql`, `insert into log (name) values ('${n}');\ndo $$ begin raise notice 'from ${n}'; end $$;\n`);
    const r = await pgpatch(p, url, 'migrate');
    t.is(r.code, 0, r.stderr);
    const at = (s) => r.stderr.indexOf(s);
    for (const [n, i] of [
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]) {
      t.true(at(`[${i}/3] 2024-01-01_${n}`) >= 0, r.stderr);
      t.true(at(`[${i}/3] 2024-01-01_${n}`) < at(`NOTICE:  from ${n}`), `the notice of ${n} after its line:\n${r.stderr}`);
      if (i < 3) t.true(at(`NOTICE:  from ${n}`) < at(`[${i + 1}/3]`), `the notice of ${n} before the next line:\n${r.stderr}`);
    }
  },
);

// pg deprecates queueing a query behind a running one (it prints a DeprecationWarning, and pg 9
// removes it): no failure path may do it. Node turns every deprecation into an exception here.
const THROW_DEPRECATION = { env: { NODE_OPTIONS: '--throw-deprecation' } };

eachServer(test, 'failure paths of the pipelined apply print no deprecation warning (warnings made errors)', async (t, server) => {
  const { p, url } = await trustProject(t, server);
  p.patch('2024-01-01_a.sql', "insert into log (name) values ('a');\n");
  p.patch('2024-02-01_b.sql', 'select 1/0;\n');
  p.patch('2024-03-01_c.sql', "insert into log (name) values ('c');\n");
  const failed = await pgpatch(p, url, 'migrate', [], THROW_DEPRECATION);
  t.is(failed.code, 3, failed.stderr);
  t.notRegex(failed.stderr, /deprecat/i);
  t.regex(failed.stderr, /2024-02-01_b\.sql:1:1: ERROR:  division by zero/);

  p.patch('2024-02-01_b.sql', `${FAILS_AT_COMMIT}insert into log (name) values ('b');\n`);
  const atCommit = await pgpatch(p, url, 'migrate', [], THROW_DEPRECATION);
  t.is(atCommit.code, 3, atCommit.stderr);
  t.notRegex(atCommit.stderr, /deprecat/i);
  t.regex(atCommit.stderr, /violates foreign key constraint/);
  t.deepEqual(await names(url), ['a']);
});

eachServer(test, 'a session terminated while a patch runs, with the next one sent: no deprecation warning', async (t, server) => {
  const { p, url } = await trustProject(t, server);
  p.patch('2024-01-01_slow.sql', "insert into log (name) values ('slow');\nselect pg_sleep(30);\n");
  p.patch('2024-02-01_next.sql', "insert into log (name) values ('next');\n");
  const run = startPgpatch(p, url, 'migrate', [], THROW_DEPRECATION.env);
  const pid = await migrateBackend(url);
  await query(url, 'select pg_terminate_backend($1)', [pid]);
  const r = await run.done;
  t.is(r.code, 4, r.stderr);
  t.notRegex(r.stderr, /deprecat/i);
  t.regex(r.stderr, /lost the connection to .* while applying patch 2024-01-01_slow/);
  t.deepEqual(await names(url), []);
});
