// The record and roles (issue 21): the README's adopt runs as a superuser (postgres) while the
// schema's objects belong to the app's owning role, which then runs migrate. The record adopt and
// a first migrate create belongs to that role; a record the role in use may not touch is an
// ordinary error (exit 2) naming the record's owner, the role in use and the fix, not a bug (70).
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.mjs';
import { adminQuery, createDatabase, query } from '../helpers/database.mjs';
import { plainProject } from '../helpers/gitdir.mjs';
import { eachServer } from '../helpers/servers.mjs';

/** A role `shop_<hex>` and a database it owns, holding a table it owns; dropped after the test. */
async function ownedDatabase(t, server) {
  const owner = `shop_${randomBytes(4).toString('hex')}`;
  await adminQuery(server.url, `create role ${owner} login`);
  const db = await createDatabase(server.url, 'record_roles');
  await adminQuery(server.url, `alter database ${db.name} owner to ${owner}`);
  t.teardown(async () => {
    await db.drop();
    await adminQuery(server.url, `drop role if exists ${owner}`).catch(() => undefined);
  });
  const asOwner = new URL(db.url);
  asOwner.username = owner;
  // PostgreSQL 15+ gives public's CREATE to the database owner only; 14 and older to everyone.
  await query(asOwner.toString(), 'create table public.shop_item (id int primary key, name text not null)');
  return { owner, db, ownerUrl: asOwner.toString() };
}

function project(t, patches = {}) {
  const dir = plainProject(t);
  mkdirSync(join(dir, 'schema', 'patches'), { recursive: true });
  for (const [name, text] of Object.entries(patches)) writeFileSync(join(dir, 'schema', 'patches', name), text);
  return dir;
}

const ownerOf = async (url, table = 'public.schema_patch') =>
  (await query(url, 'select pg_get_userbyid(relowner) as owner from pg_class where oid = to_regclass($1)', [table])).rows[0]?.owner;

eachServer(test, "adopt run as postgres creates the record owned by the role that owns the schema's objects", async (t, server) => {
  const { owner, db, ownerUrl } = await ownedDatabase(t, server);
  const dir = project(t);
  const adopted = await runCli(['adopt', '--dsn', db.url], { cwd: dir });
  t.is(adopted.code, 0, adopted.stderr);
  t.is(await ownerOf(db.url), owner);
  writeFileSync(join(dir, 'schema', 'patches', '2030-01-01_price.sql'), 'alter table public.shop_item add column price numeric;\n');
  const migrate = await runCli(['migrate', '--dsn', ownerUrl], { cwd: dir });
  t.is(migrate.code, 0, migrate.stderr);
  t.deepEqual((await query(db.url, 'select name, status, applied_by from public.schema_patch')).rows, [
    { name: '2030-01-01_price', status: 'applied', applied_by: owner },
  ]);
});

eachServer(test, 'a first migrate --assume-applied as postgres leaves the record to the owning role', async (t, server) => {
  const { owner, db, ownerUrl } = await ownedDatabase(t, server);
  const dir = project(t, { '2030-01-01_first.sql': 'select 1;\n' });
  writeFileSync(join(dir, 'schema', 'database.sql'), 'create table public.shop_item (id int primary key, name text not null);\n');
  const run = await runCli(['migrate', '--assume-applied', '--dsn', db.url, '--scratch-url', server.url], { cwd: dir, timeoutMs: 180000 }); // a scratch build: slow on a loaded machine
  t.is(run.code, 0, run.stderr);
  t.is(await ownerOf(db.url), owner);
  const check = await runCli(['migrate', '--check', '--dsn', ownerUrl], { cwd: dir });
  t.is(check.code, 0, check.stderr);
});

eachServer(
  test,
  'a record the role in use may not read or write: exit 2 naming its owner, the role and the fix, not exit 70',
  async (t, server) => {
    const { owner, db, ownerUrl } = await ownedDatabase(t, server);
    const dir = project(t);
    t.is((await runCli(['adopt', '--dsn', db.url], { cwd: dir })).code, 0);
    // As the README's adopt did before: the record belongs to the superuser that ran it.
    await query(db.url, 'alter table public.schema_patch owner to postgres');
    writeFileSync(join(dir, 'schema', 'patches', '2030-01-01_price.sql'), 'alter table public.shop_item add column price numeric;\n');
    for (const args of [['migrate'], ['migrate', '--check'], ['showmigrations']]) {
      const r = await runCli([...args, '--dsn', ownerUrl], { cwd: dir });
      t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      t.notRegex(r.stderr, /bug/i, args.join(' '));
      t.regex(r.stderr, new RegExp(`public\\.schema_patch.*owned by postgres`), args.join(' '));
      t.regex(r.stderr, new RegExp(`as role ${owner}`), args.join(' '));
      t.regex(r.stderr, new RegExp(`alter table public\\.schema_patch owner to ${owner}`, 'i'), args.join(' '));
    }
    // Readable but not writable: refused before the patch runs, not a failed patch.
    await query(db.url, `grant select on public.schema_patch to ${owner}`);
    const r = await runCli(['migrate', '--dsn', ownerUrl], { cwd: dir });
    t.is(r.code, 2, r.stderr);
    t.regex(r.stderr, /owned by postgres/);
    t.is(
      (
        await query(
          db.url,
          "select count(*)::int as n from information_schema.columns where table_name = 'shop_item' and column_name = 'price'",
        )
      ).rows[0].n,
      0,
    );
  },
);
