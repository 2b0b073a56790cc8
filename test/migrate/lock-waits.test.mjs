// A patch statement that waits for a table lock: migrate names the sessions holding it while it
// waits, and --statement-lock-timeout (PostgreSQL's lock_timeout for patch statements) makes
// the patch fail cleanly instead of waiting, and every reader queueing behind it, for ever.
import test from 'ava';
import pg from 'pg';
import { createDatabase, query } from '../helpers/database.mjs';
import { eachServer } from '../helpers/servers.mjs';
import { initRecord, makeProject, pgpatch, startPgpatch, statuses, waitFor } from '../helpers/project.mjs';

/** A database with table t and an empty record, a project, and a cleanup for both. */
async function setup(t, server, patches) {
  const db = await createDatabase(server.url, 'pgpatch_lockwait');
  const p = makeProject({ database: 'create table t (id int);\ncreate table log (v text);\n' });
  t.teardown(async () => {
    p.cleanup();
    await db.drop();
  });
  await initRecord(p, db.url);
  for (const [name, text] of Object.entries(patches)) p.patch(name, text);
  return { p, url: db.url };
}

/** Another connection reading t in an open transaction: it holds ACCESS SHARE on t until it ends. */
async function longReader(t, url) {
  const client = new pg.Client({ connectionString: url, application_name: 'long reader' });
  await client.connect();
  t.teardown(() => client.end().catch(() => undefined));
  await client.query('begin');
  await client.query('select count(*) from t');
  const pid = (await client.query('select pg_backend_pid() as pid')).rows[0].pid;
  return { client, pid };
}

const ALTER = { '2024-01-01_a.sql': 'create table a (id int);\nalter table t add column b int;\n' };

eachServer(
  test,
  'a patch waiting for a table lock: migrate names the session holding it, then applies the patch once it is free',
  async (t, server) => {
    const { p, url } = await setup(t, server, ALTER);
    const reader = await longReader(t, url);
    const run = startPgpatch(p, url, 'migrate', ['--no-input']);
    let stderr = '';
    run.child.stderr.on('data', (d) => (stderr += d));
    await waitFor(() => /Held by:\n.*\n/.test(stderr), 'migrate to report the lock wait', 60000);
    t.regex(stderr, /2024-01-01_a has waited \d+\.\d s for AccessExclusiveLock on t; it waits as long as it takes/);
    t.regex(
      stderr,
      new RegExp(
        `  pid ${reader.pid} \\(application "long reader", user \\w+.*\\): idle in transaction since .*, transaction started .*, last query started .*: select pg_backend_pid\\(\\) as pid`,
      ),
    );
    await reader.client.query('commit');
    const r = await run.done;
    t.is(r.code, 0, r.stderr);
    t.deepEqual(await statuses(url), { '2024-01-01_a': 'applied' });
    t.is(
      (await query(url, "select count(*)::int as n from information_schema.columns where table_name = 't' and column_name = 'b'")).rows[0]
        .n,
      1,
    );
  },
);

eachServer(
  test,
  'with a statement lock timeout, a patch behind a long reader fails naming the reader, nothing is applied, and a later run applies it',
  async (t, server) => {
    const { p, url } = await setup(t, server, ALTER);
    const reader = await longReader(t, url);
    const r = await pgpatch(p, url, 'migrate', ['--statement-lock-timeout', '4s']);
    t.is(r.code, 5, r.stderr);
    t.regex(r.stderr, /patch 2024-01-01_a failed/);
    t.regex(
      r.stderr,
      /the statement waited longer than the statement lock timeout \(4000 ms\) for AccessExclusiveLock on t held by pid \d+ \(long reader\)/,
    );
    t.regex(r.stderr, new RegExp(`held by pid ${reader.pid} \\(application "long reader"`));
    t.regex(r.stderr, /2024-01-01_a\.sql:2:1: ERROR:  canceling statement due to lock timeout \(SQLSTATE 55P03\)/);
    t.regex(r.stderr, /nothing of it was applied: it was rolled back and is not recorded .* Run migrate again later/);
    t.deepEqual(await statuses(url), {}, 'nothing recorded');
    t.is((await query(url, "select to_regclass('a') as r")).rows[0].r, null, 'nothing applied');

    // The setting, in JSON: the holders as data.
    const json = await pgpatch(p, url, 'migrate', ['--json'], { env: { PGPATCH_STATEMENT_LOCK_TIMEOUT: '4s' } });
    t.is(json.code, 5, json.stderr);
    const error = JSON.parse(json.stdout).error;
    t.is(error.code, 'patch_failed');
    t.is(error.recorded, 'nothing');
    t.is(error.cause.code, 'statement_lock_timeout');
    t.is(error.cause.timeoutMs, 4000);
    t.deepEqual(
      error.cause.blockers.map((b) => [b.pid, b.applicationName, b.state]),
      [[reader.pid, 'long reader', 'idle in transaction']],
    );
    t.is(error.cause.cause.server.sqlstate, '55P03');

    await reader.client.query('commit');
    const later = await pgpatch(p, url, 'migrate', ['--statement-lock-timeout', '4s']);
    t.is(later.code, 0, later.stderr);
    t.deepEqual(await statuses(url), { '2024-01-01_a': 'applied' });
  },
);

eachServer(
  test,
  "the statement lock timeout reaches patches of every transaction mode, a patch's own lock_timeout wins, and it does not outlive the patch",
  async (t, server) => {
    const seen = "insert into log (v) values (current_setting('lock_timeout'));\n";
    const { p, url } = await setup(t, server, {
      '2024-01-01_own.sql': `begin;\n${seen}commit;\n`,
      '2024-01-02_wrapped.sql': seen,
      '2024-01-03_none.sql': `-- pgpatch: no-transaction\n${seen}`,
      '2024-01-04_own_setting.sql': `set local lock_timeout = '7s';\n${seen}`,
      '2024-01-05_own_unbatched.sql': `begin;\n\\echo unbatched\n${seen}commit;\n`,
      // RESET inside a transaction goes back to the session's value, under the SET LOCAL: '0' unless
      // an earlier patch (the unbatched ones get the timeout for the session) left it there.
      '2024-01-06_reset.sql': `reset lock_timeout;\n${seen}`,
    });
    const r = await pgpatch(p, url, 'migrate', ['--statement-lock-timeout', '2min']);
    t.is(r.code, 0, r.stderr);
    t.deepEqual(
      (await query(url, 'select v from log')).rows.map((x) => x.v),
      ['2min', '2min', '2min', '7s', '2min', '0'],
    );
  },
);

test('a duration without a unit, or an unreadable setting, is a usage error before anything runs', async (t) => {
  const p = makeProject();
  t.teardown(() => p.cleanup());
  const url = 'postgresql://nobody@127.0.0.1:1/none';
  const bare = await pgpatch(p, url, 'migrate', ['--statement-lock-timeout', '5']);
  t.is(bare.code, 2, bare.stderr);
  t.regex(bare.stderr, /--statement-lock-timeout expects a duration with its unit \(500ms, 5s, 2min, 1h; 0 for none\), got "5"/);
  const env = await pgpatch(p, url, 'migrate', [], { env: { PGPATCH_STATEMENT_LOCK_TIMEOUT: 'soon' } });
  t.is(env.code, 2, env.stderr);
  t.regex(env.stderr, /PGPATCH_STATEMENT_LOCK_TIMEOUT expects a duration/);
  const run = await pgpatch(p, url, 'migrate', ['--wait-for-run-lock', 'x']);
  t.is(run.code, 2, run.stderr);
  t.regex(run.stderr, /--wait-for-run-lock expects seconds, got "x"/);
});

eachServer(
  test,
  'a no-transaction patch that hits the statement lock timeout is recorded failed, its earlier statements kept, and the message says so',
  async (t, server) => {
    const { p, url } = await setup(t, server, {
      '2024-01-01_none.sql': "-- pgpatch: no-transaction\ninsert into log (v) values ('before');\nalter table t add column b int;\n",
    });
    const reader = await longReader(t, url);
    const r = await pgpatch(p, url, 'migrate', ['--statement-lock-timeout', '4s']);
    t.is(r.code, 5, r.stderr);
    t.regex(r.stderr, new RegExp(`held by pid ${reader.pid} \\(application "long reader"`), r.stderr);
    t.regex(
      r.stderr,
      /recorded as failed \(stage patch\): it ran outside a transaction, so the statements before this one stay applied\. Check them, then migrate --retry 2024-01-01_none once the lock is free\./,
      r.stderr,
    );
    t.deepEqual(await statuses(url), { '2024-01-01_none': 'failed/patch' });
    t.deepEqual((await query(url, 'select v from log')).rows, [{ v: 'before' }]);
  },
);
