// `pgpatch check --dsn URL` / `--live`: a live database against the schema files (drift made
// outside the patches). Read-only on the live database. No git needed in this mode.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, inspectDatabase, targetFrom } from 'pgpatch';
import { runCli } from '../helpers/cli.mjs';
import { createDatabase, mainServer, query } from '../helpers/database.mjs';
import { plainProject } from '../helpers/gitdir.mjs';
import { SLOT_SERVERS } from '../helpers/servers.mjs';

const DEMO = fileURLToPath(new URL('../../fixtures/demo', import.meta.url));
const scratchUrl = () => mainServer().url;

function run(root, args, env = {}) {
  // A slow machine running several test files (a first cluster of another major to make) needs more than the default minute.
  return runCli(args, { cwd: root, env: { NODE_EXTRA_CA_CERTS: undefined, ...env }, timeoutMs: 180000 });
}

function check(root, args = [], env = {}) {
  return run(root, ['check', '--scratch-url', scratchUrl(), ...args], env);
}

function listed(stdout) {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('- '))
    .map((l) => l.slice(2));
}

async function liveDatabase(t) {
  const db = await createDatabase(mainServer().url, 'pgpatch_live');
  t.teardown(() => db.drop());
  return db;
}

/** Everything inspect sees, record table included, plus the list of relations: what "untouched" means here. */
async function snapshot(url) {
  const session = await connect(targetFrom(url, 'test'));
  try {
    const model = await inspectDatabase(session, { exclude: [] });
    const { rows } = await session.query(`select n.nspname || '.' || c.relname as name from pg_class c
      join pg_namespace n on n.oid = c.relnamespace where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
      order by 1`);
    return { model, relations: rows.map((r) => r.name) };
  } finally {
    await session.end();
  }
}

test('the demo loaded by pgpatch: exit 0; changed by hand: exit 1 naming each change; the database is left as it was', async (t) => {
  const root = plainProject(t);
  cpSync(DEMO, join(root, 'schema'), { recursive: true });
  const db = await liveDatabase(t);
  const load = await run(root, ['load', '--dsn', db.url, '--no-record']);
  t.is(load.code, 0, load.stderr);

  const clean = await check(root, ['--dsn', db.url]);
  t.is(clean.code, 0, clean.stderr + clean.stdout);
  t.regex(clean.stdout, /compared the schema files with postgresql:\/\/.*\/pgpatch_live_/);
  t.regex(clean.stdout, /^ok: they describe the same database$/m);

  await query(
    db.url,
    `create index myapp_book_title_idx on myapp.myapp_book (title);
    grant select on myapp.myapp_room to public;
    alter table myapp.myapp_room owner to audit`,
  );
  const before = await snapshot(db.url);

  // DATABASE_URL alone does not mean live: check still wants git for the patches (here: none).
  const notLive = await check(root, [], { DATABASE_URL: db.url });
  t.is(notLive.code, 2, notLive.stderr + notLive.stdout);
  t.regex(notLive.stderr, /check needs the git history of .*schema/);

  const [drift, noOwners] = await Promise.all([
    check(root, ['--live'], { DATABASE_URL: db.url }),
    check(root, ['--dsn', db.url, '--ignore-owners', '--json']),
  ]);
  t.is(drift.code, 1, drift.stderr + drift.stdout);
  t.deepEqual(listed(drift.stdout), [
    'table myapp.myapp_book, index myapp_book_title_idx: not in the schema files, but present in the live database',
    'table myapp.myapp_room: owned by postgres in the schema files, owned by audit in the live database',
    'table myapp.myapp_room, grants to PUBLIC: none in the schema files, SELECT in the live database',
  ]);
  t.regex(drift.stdout, /^3 differences$/m);

  t.is(noOwners.code, 1, noOwners.stderr + noOwners.stdout);
  const json = JSON.parse(noOwners.stdout);
  t.is(json.mode, 'live');
  t.deepEqual(
    json.differences.map((d) => d.message),
    [
      'table myapp.myapp_book, index myapp_book_title_idx: not in the schema files, but present in the live database',
      'table myapp.myapp_room, grants to PUBLIC: none in the schema files, SELECT in the live database',
    ],
  );

  // Read-only: no record table, nothing changed, the hand-made changes still there.
  const after = await snapshot(db.url);
  t.false(
    after.relations.some((r) => r.endsWith('.schema_patch')),
    after.relations.join(' '),
  );
  t.deepEqual(after, before);
  t.true(after.relations.includes('myapp.myapp_book_title_idx'));
});

test('a database built by migrate: its record (in public or in a schema of its own) is no difference', async (t) => {
  const root = plainProject(t, {
    'schema/database.sql':
      'create schema app;\ncreate table app.item (id int primary key, name text not null);\ncreate index item_name_idx on app.item (name);\n',
    'schema/patches/2026-11-01_name_idx.sql': 'create index item_name_idx on app.item (name);\n',
  });
  const [inPublic, ownSchema] = await Promise.all([liveDatabase(t), liveDatabase(t)]);
  // First runs: each database is built from the schema files, the patch recorded as assumed.
  const [m1, m2] = await Promise.all([
    run(root, ['migrate', '--dsn', inPublic.url, '--no-input']),
    run(root, ['migrate', '--dsn', ownSchema.url, '--no-input', '--record-schema', 'pgpatch']),
  ]);
  t.is(m1.code, 0, m1.stderr);
  t.is(m2.code, 0, m2.stderr);
  const [c1, c2] = await Promise.all([
    check(root, ['--dsn', inPublic.url]),
    check(root, ['--dsn', ownSchema.url, '--record-schema', 'pgpatch']),
  ]);
  t.is(c1.code, 0, c1.stderr + c1.stdout);
  t.is(c2.code, 0, c2.stderr + c2.stdout);
  t.deepEqual(listed(c1.stdout + c2.stdout), []);

  // Something else in the record's schema is drift like any other.
  await query(ownSchema.url, 'create table pgpatch.notes (id int)');
  const c3 = await check(root, ['--dsn', ownSchema.url, '--record-schema', 'pgpatch']);
  t.is(c3.code, 1, c3.stderr + c3.stdout);
  t.deepEqual(listed(c3.stdout), [
    'schema pgpatch: not in the schema files, but present in the live database',
    'table pgpatch.notes: not in the schema files, but present in the live database',
  ]);
});

test('publications and event triggers changed by hand: each change is named', async (t) => {
  const root = plainProject(t, {
    'schema/database.sql': `create schema app;
create table app.item (id int primary key, name text, price numeric not null);
create table app.note (id int primary key);
create function app.log_ddl() returns event_trigger language plpgsql as $$ begin end $$;
create publication items for table app.item (id, price) where (price > 0);
create publication notes for table app.note with (publish = 'insert, update');
create publication gone for table app.note;
create event trigger log_ddl on ddl_command_end execute function app.log_ddl();
create event trigger log_drops on sql_drop execute function app.log_ddl();
`,
  });
  const db = await liveDatabase(t);
  const load = await run(root, ['load', '--dsn', db.url]);
  t.is(load.code, 0, load.stderr);
  const clean = await check(root, ['--dsn', db.url]);
  t.is(clean.code, 0, clean.stderr + clean.stdout);

  await query(
    db.url,
    `drop publication gone;
    alter publication items set table app.item (id, price) where (price > 10), app.note;
    alter publication notes set (publish = 'insert');
    drop event trigger log_drops;
    alter event trigger log_ddl disable`,
  );
  const drift = await check(root, ['--dsn', db.url]);
  t.is(drift.code, 1, drift.stderr + drift.stdout);
  // By object name, as every difference.
  t.deepEqual(listed(drift.stdout), [
    'publication gone: in the schema files, missing in the live database',
    'publication items, table app.item: WHERE (price > (0)::numeric) in the schema files, WHERE (price > (10)::numeric) in the live database',
    'publication items, table app.note: not in the schema files, but present in the live database',
    'event trigger log_ddl: enabled in the schema files, DISABLED in the live database',
    'event trigger log_drops: in the schema files, missing in the live database',
    "publication notes: publish = 'insert, update' in the schema files, publish = 'insert' in the live database",
  ]);
});

// Issue 21: a PostgreSQL 15 database whose objects belong to the role that loaded it (`shop`),
// compared with the schema files on a scratch server of another major (the embedded 18) or of
// its own (Debian's 15, found by pgpatch), loaded there by the scratch server's superuser: only
// the two changes made by hand are differences, not every owner and every grant's MAINTAIN.
const pg15 = SLOT_SERVERS.find((s) => s.label === 'pg15');
const with15 = pg15.url ? test : (title) => test.skip(`${title}: no PostgreSQL 15 test server (${pg15.env} is unset)`, () => undefined);
const SHOP_SCHEMA = `create extension if not exists btree_gist;
create schema store;
create table store.customer (id bigint generated always as identity primary key, name text not null);
create table store.orders (
  id bigint generated by default as identity, customer_id bigint not null references store.customer,
  total numeric(10,2), placed date not null, primary key (id, placed)
) partition by range (placed);
create table store.orders_2025 partition of store.orders for values from ('2025-01-01') to ('2026-01-01');
create view store.totals as select customer_id, sum(total) as total from store.orders group by customer_id;
create sequence store.ticket;
create function store.total_of(c bigint) returns numeric language sql stable as $$ select sum(total) from store.orders where customer_id = c $$;
grant usage on schema store to public;
grant select on store.totals to public;
alter default privileges in schema store grant select on tables to public;
`;
const SHOP_DRIFT = [
  'table store.customer, column email: not in the schema files, but present in the live database',
  'table store.customer, grants to PUBLIC: none in the schema files, SELECT in the live database',
];

/** A PostgreSQL 15 database built from SHOP_SCHEMA by its owner, a role of its own (not a superuser), then changed by hand. */
async function shopDatabase(t) {
  const role = `shop_${randomBytes(4).toString('hex')}`;
  await query(pg15.url, `create role ${role} login`);
  const db = await createDatabase(pg15.url, 'pgpatch_shop');
  t.teardown(async () => {
    await db.drop();
    for (const s of [pg15.url, mainServer().url]) await query(s, `drop role if exists ${role}`);
  });
  await query(pg15.url, `alter database ${db.name} owner to ${role}`);
  const asShop = db.url.replace('postgres@', `${role}@`);
  await query(asShop, SHOP_SCHEMA);
  await query(asShop, 'alter table store.customer add column email text; grant select on store.customer to public');
  return { db, role };
}

with15(
  'check --dsn on PostgreSQL 15 owned by its own role: only the changes made by hand, with a scratch server of its major or of another',
  async (t) => {
    const root = plainProject(t, { 'schema/database.sql': SHOP_SCHEMA });
    t.teardown(() => run(root, ['embedded', 'stop']));
    const { db } = await shopDatabase(t);

    // The default scratch server: one of the live database's major (Debian's 15 here), said so.
    const own = await run(root, ['check', '--dsn', db.url]);
    t.is(own.code, 1, own.stderr + own.stdout);
    t.deepEqual(listed(own.stdout), SHOP_DRIFT);
    t.regex(own.stderr, /scratch server: PostgreSQL 15\.\d+.* of the live database's major/);

    // A scratch server of another major: what only the major makes is left out, and said.
    const other = await check(root, ['--dsn', db.url, '--json']);
    t.is(other.code, 1, other.stderr + other.stdout);
    const result = JSON.parse(other.stdout);
    t.deepEqual(
      result.differences.map((d) => d.message),
      SHOP_DRIFT,
    );
    t.deepEqual(result.majors, { schemaFiles: 18, live: 15 });
  },
);

with15('migrate --assume-applied and try on PostgreSQL 15 owned by its own role: no difference the scratch server makes', async (t) => {
  const root = plainProject(t, {
    'schema/database.sql':
      SHOP_SCHEMA.replace('name text not null)', 'name text not null, email text)') + 'grant select on store.customer to public;\n',
    'schema/patches/2026-01-01_phone.sql': 'alter table store.customer add column phone text;\n',
  });
  t.teardown(() => run(root, ['embedded', 'stop']));
  const { db } = await shopDatabase(t);
  // The patch is not in the schema files: try says what differs, and nothing else.
  const tried = await run(root, ['try', '2026-01-01', '--dsn', db.url]);
  t.is(tried.code, 0, tried.stderr + tried.stdout);
  t.deepEqual(listed(tried.stdout.split('the database now differs from the schema files')[1] ?? ''), [
    'table store.customer, column phone: not in the schema files, but present after the patch',
  ]);
  // On a scratch server of another major (18): the same, and the note that says so.
  const across = await run(root, ['try', '2026-01-01', '--dsn', db.url, '--scratch-url', scratchUrl()]);
  t.is(across.code, 0, across.stderr + across.stdout);
  const [, after18] = across.stdout.split('the database now differs from the schema files');
  t.deepEqual(listed(after18 ?? ''), ['table store.customer, column phone: not in the schema files, but present after the patch']);
  t.regex(across.stdout, /^note: the schema files were built on PostgreSQL 18 and the database is PostgreSQL 15: /m);
  const baseline = await check(root, ['--dsn', db.url]);
  t.is(baseline.code, 0, baseline.stderr + baseline.stdout);
  t.regex(baseline.stdout, /^note: the schema files were built on PostgreSQL 18 and the live database is PostgreSQL 15: /m);
  const migrate = await run(root, ['migrate', '--dsn', db.url, '--assume-applied', '--scratch-url', scratchUrl(), '--no-input']);
  t.is(migrate.code, 0, migrate.stderr + migrate.stdout);
});
