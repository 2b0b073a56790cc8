// Every command that connects, through a real PgBouncer in transaction mode: it works without
// leaving state on the pooled server connection, or it refuses, naming the pooler and the fix,
// before it changes anything. There each transaction may run on another server connection, and
// whatever a command sets for its session stays on the server connection for the next client:
// `set default_transaction_read_only = on` left there made an application's INSERTs fail.
//
// "Leaves no state" is seen from the application's side: the pool has one server connection
// per database (default_pool_size = 1), so the application's connection after the command is
// the one the command used (the same backend pid as before it), and there it must insert a row
// and see what it saw before the command (settings set for the session, role, advisory locks).
// One PgBouncer per test server for the whole file; a database of its own per test.
import test from 'ava';
import { join } from 'node:path';
import pg from 'pg';
import { runCli } from '../helpers/cli.mjs';
import { createDatabase, query } from '../helpers/database.mjs';
import { PGBOUNCER, startPgBouncer } from '../helpers/pgbouncer.mjs';
import { makeProject, pgpatch, statuses } from '../helpers/project.mjs';
import { eachServer } from '../helpers/servers.mjs';
import { migrate, targetFrom } from 'pgpatch';

const bouncers = new Map();

/** The file's PgBouncer for this server (transaction mode, one server connection per database). */
function bouncerFor(server) {
  if (!bouncers.has(server.url)) bouncers.set(server.url, startPgBouncer(server.url, 'transaction', { poolSize: 1 }));
  return bouncers.get(server.url);
}

test.after.always(async () => {
  for (const b of bouncers.values()) await (await b.catch(() => undefined))?.stop();
});

/**
 * What the application sees on its next connection through the pooler, and whether it may
 * write. It names itself, as PgBouncer needs to give it its application_name back: to a client
 * that sends none, PgBouncer leaves the name of the server connection's previous client
 * (pgpatch's, psql's, any other's).
 */
async function applicationSees(url) {
  const client = new pg.Client({ connectionString: url, application_name: 'the application' });
  await client.connect();
  try {
    const insert = await client.query('insert into app_log default values').then(
      () => 'accepted',
      (e) => e.message,
    );
    const { rows } = await client.query(`select pg_backend_pid() as pid, current_user as "user", session_user as "sessionUser",
      current_setting('role') as role,
      current_setting('default_transaction_read_only') as default_transaction_read_only,
      current_setting('search_path') as search_path, current_setting('lock_timeout') as lock_timeout,
      current_setting('statement_timeout') as statement_timeout, current_setting('application_name') as application_name,
      (select coalesce(json_object_agg(name, setting order by name), '{}') from pg_settings where source = 'session') as "sessionSettings",
      (select count(*)::int from pg_locks where pid = pg_backend_pid() and locktype = 'advisory') as "advisoryLocks"`);
    return { insert, ...rows[0] };
  } finally {
    await client.end();
  }
}

const APP_LOG = 'create table app_log (id serial primary key, at timestamptz not null default now());\n';
const SCHEMA = `${APP_LOG}create table items (id int primary key, v text);\n`;

/**
 * A database with the application's table (app_log), a project, and what the application sees
 * through the pooler before any command. `as`: 'record' (built from the schema files by
 * migrate, directly, not through the pooler; the first patch applied, the second pending),
 * 'objects' (the schema files run directly, no record), 'empty' (app_log alone).
 */
async function setUp(t, server, { as = 'record', database = SCHEMA } = {}) {
  const bouncer = await bouncerFor(server);
  const db = await createDatabase(server.url, 'pgpatch_pooled');
  const p = makeProject({ database });
  t.teardown(async () => {
    p.cleanup();
    await db.drop();
  });
  if (as === 'record') {
    const options = { target: targetFrom(db.url, 'test'), patchesDir: p.patchesDir, entry: join(p.dir, 'schema', 'database.sql') };
    await migrate(options);
    p.patch('2024-01-01_a.sql', "insert into items values (1, 'a');\n");
    await migrate(options);
    p.patch('2024-02-01_b.sql', 'alter table items add column note text;\n');
  } else await query(db.url, as === 'objects' ? database : APP_LOG);
  const pooled = bouncer.urlFor(db.name);
  const before = await applicationSees(pooled);
  return { p, db, direct: db.url, pooled, before };
}

/** The application's next connection is the one the command used, and it finds it as it was. */
async function leftNoState(t, pooled, before) {
  const after = await applicationSees(pooled);
  t.is(after.pid, before.pid, 'the application got the server connection the command used (pool size 1)');
  t.is(after.insert, 'accepted');
  t.is(after.default_transaction_read_only, 'off');
  t.is(after.search_path, '"$user", public');
  t.is(after.lock_timeout, '0');
  t.is(after.statement_timeout, '0');
  t.is(after.user, 'postgres');
  t.is(after.role, 'none');
  t.is(after.application_name, 'the application');
  t.deepEqual(after, before);
}

/** Refused through the pooler: an ordinary error (exit 2, not 70) naming the pooler and the fix. */
function refusedAsPooled(t, r, command) {
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, /connection pooler in transaction \(or statement\) mode/);
  t.regex(r.stderr, new RegExp(`hint: point ${command} at the PostgreSQL server itself .*or at a pooler in session mode`));
}

const tables = async (url) =>
  (
    await query(
      url,
      `select relname from pg_class where relkind = 'r' and relnamespace::regnamespace::text not in ('pg_catalog', 'information_schema') order by 1`,
    )
  ).rows.map((r) => r.relname);

if (!PGBOUNCER) {
  test.skip('commands through PgBouncer: pgbouncer is not installed (Debian package pgbouncer; .ci/run installs it)', () => undefined);
} else {
  eachServer(
    test,
    'through a transaction pooler, load refuses before anything runs (its SET search_path would not reach the next statement)',
    async (t, server) => {
      const { p, direct, pooled, before } = await setUp(t, server, {
        as: 'empty',
        database: 'create schema lib;\nset search_path = lib;\ncreate table t1 (id int);\ncreate table t2 (id int);\n',
      });
      const r = await pgpatch(p, pooled, 'load', ['--force', '--no-input']);
      refusedAsPooled(t, r, 'load');
      t.deepEqual(await tables(direct), ['app_log'], 'nothing ran');
      t.is((await query(direct, "select to_regnamespace('lib') as s")).rows[0].s, null);
      const plain = await pgpatch(p, pooled, 'load', ['--no-input']);
      t.is(plain.code, 2, 'refused before the question about a database that is not empty');
      t.regex(plain.stderr, /connection pooler/);
      await leftNoState(t, pooled, before);
    },
  );

  eachServer(
    test,
    'through a transaction pooler, migrate refuses every way it runs before anything runs (run, --plan, --check, --fake)',
    async (t, server) => {
      const { p, direct, pooled, before } = await setUp(t, server);
      const recorded = await statuses(direct);
      for (const args of [[], ['--plan'], ['--check'], ['--fake', '2024-02-01_b']]) {
        const r = await pgpatch(p, pooled, 'migrate', args);
        refusedAsPooled(t, r, 'migrate');
        t.deepEqual(await statuses(direct), recorded, `migrate ${args.join(' ')}: the record as it was`);
      }
      t.deepEqual(await tables(direct), ['app_log', 'items', 'schema_patch']);
      await leftNoState(t, pooled, before);
    },
  );

  eachServer(
    test,
    'through a transaction pooler, migrate --assume-applied refuses before it compares or records anything',
    async (t, server) => {
      const { p, direct, pooled, before } = await setUp(t, server, { as: 'objects' });
      p.patch('2024-01-01_a.sql', "insert into items values (1, 'a');\n");
      const r = await pgpatch(p, pooled, 'migrate', ['--assume-applied', '--scratch-url', server.url]);
      refusedAsPooled(t, r, 'migrate');
      t.notRegex(r.stderr + r.stdout, /compar/i, 'refused before the comparison with the schema files');
      t.is(await statuses(direct), null, 'no record');
      await leftNoState(t, pooled, before);
    },
  );

  eachServer(
    test,
    'through a transaction pooler, showmigrations, lint and squashmigrations --dry-run read the record and leave no state',
    async (t, server) => {
      const { p, pooled, before } = await setUp(t, server);
      const show = await pgpatch(p, pooled, 'showmigrations');
      t.is(show.code, 0, show.stderr);
      t.regex(show.stdout, /\[X\] 2024-01-01_a/);
      t.regex(show.stdout, /\[ \] 2024-02-01_b/);
      await leftNoState(t, pooled, before);
      const lint = await pgpatch(p, pooled, 'lint', ['--json']);
      t.is(lint.code, 1, `the pending patch's findings (require-lock-timeout) ${lint.stderr}`);
      t.deepEqual(
        JSON.parse(lint.stdout).patches.map((x) => x.name),
        ['2024-02-01_b'],
        'the pending patch, read from the record',
      );
      await leftNoState(t, pooled, before);
      const squash = await pgpatch(p, pooled, 'squashmigrations', ['--dry-run']);
      t.is(squash.code, 0, squash.stderr);
      await leftNoState(t, pooled, before);
    },
  );

  eachServer(test, 'through a transaction pooler, check --dsn and check --live compare and leave no state', async (t, server) => {
    const { p, pooled, before } = await setUp(t, server);
    const r = await pgpatch(p, pooled, 'check', ['--scratch-url', server.url]);
    t.is(r.code, 0, r.stderr + r.stdout);
    await leftNoState(t, pooled, before);
    const live = await runCli(['check', '--live', '--scratch-url', server.url], {
      cwd: p.dir,
      env: { DATABASE_URL: pooled, NODE_EXTRA_CA_CERTS: undefined },
    });
    t.is(live.code, 0, live.stderr + live.stdout);
    await leftNoState(t, pooled, before);
  });

  eachServer(test, 'through a transaction pooler, inspect, diff and adopt read the database and leave no state', async (t, server) => {
    const { p, pooled, before } = await setUp(t, server);
    const inspect = await pgpatch(p, pooled, 'inspect');
    t.is(inspect.code, 0, inspect.stderr);
    t.truthy(JSON.parse(inspect.stdout).tables['public.items']);
    await leftNoState(t, pooled, before);
    const diff = await pgpatch(p, pooled, 'diff', ['--from', pooled, '--to', pooled, '--exit-code']);
    t.is(diff.code, 0, diff.stderr);
    t.is(diff.stdout, '');
    await leftNoState(t, pooled, before);
    const adopt = await pgpatch(p, pooled, 'adopt', ['--force']);
    t.is(adopt.code, 0, adopt.stderr);
    await leftNoState(t, pooled, before);
  });

  eachServer(
    test,
    'through a transaction pooler, try runs the patch in its transaction, rolls it back and leaves no state',
    async (t, server) => {
      const { p, direct, pooled, before } = await setUp(t, server);
      p.patch(
        '2024-02-01_b.sql',
        'set search_path = pg_catalog;\nset lock_timeout = 1234;\nalter table public.items add column note text;\n',
      );
      const r = await pgpatch(p, pooled, 'try', ['2024-02-01_b', '--no-schema-files', '--json']);
      t.is(r.code, 0, r.stderr);
      t.is(JSON.parse(r.stdout).statements.length, 3);
      t.false(
        (await query(direct, "select count(*) > 0 as has from pg_attribute where attrelid = 'items'::regclass and attname = 'note'"))
          .rows[0].has,
      );
      await leftNoState(t, pooled, before);
    },
  );
}
