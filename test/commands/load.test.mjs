// load cannot destroy a database by accident, and load of the schema entry file leaves the
// record migrate's first run leaves.
// - A database with a schema_patch record and data, and a database.sql that starts with
//   `drop schema ... cascade`: load refuses it before anything runs (exit 2, the data intact);
//   with --force it runs. A database with objects but no record is refused the same way.
// - load of the schema entry into an empty database records every patch present as `assumed`:
//   migrate afterwards has nothing to do, and a patch written later is the one that runs.
//   --no-record writes no record; a file that is not the schema entry (a data file) neither.
// - On a terminal (util-linux `script` gives the CLI one), load asks: n refuses, y loads.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI } from '../helpers/cli.mjs';
import { createDatabase, query } from '../helpers/database.mjs';
import { makeProject, pgpatch } from '../helpers/project.mjs';
import { eachServer } from '../helpers/servers.mjs';

const DESTRUCTIVE = `
drop schema if exists shop cascade;
create schema shop;
create table shop.item (id int primary key, name text);
`;

function setUp(t, server, options) {
  const project = makeProject(options);
  t.teardown(() => project.cleanup());
  return createDatabase(server.url, 'load_guard').then((db) => {
    t.teardown(() => db.drop());
    return { project, db };
  });
}

const recordCount = async (url) => (await query(url, `select count(*)::int as n from public.schema_patch`)).rows[0].n;
const hasRecord = async (url) => (await query(url, `select to_regclass('public.schema_patch') is not null as ok`)).rows[0].ok;

eachServer(test, 'load refuses a database with a record and data before anything runs; --force loads it', async (t, server) => {
  const { project, db } = await setUp(t, server, {
    database: DESTRUCTIVE,
    patches: { '2024-01-01_first.sql': 'alter table shop.item add column note text;\n' },
  });
  // A database migrate has built: schema, record, then rows someone cares about.
  const built = await pgpatch(project, db.url, 'migrate');
  t.is(built.code, 0, built.stderr);
  await query(db.url, `insert into shop.item values (1, 'keep me')`);

  const refused = await pgpatch(project, db.url, 'load');
  t.is(refused.code, 2, refused.stderr);
  t.regex(refused.stderr, /is not empty \(\d+ objects of its own, such as shop\.item; a schema_patch record\)/);
  t.regex(refused.stderr, /--force/);
  t.deepEqual((await query(db.url, 'select name from shop.item')).rows, [{ name: 'keep me' }]);
  t.is(await recordCount(db.url), 1);

  const json = await pgpatch(project, db.url, 'load', ['--json']);
  t.is(json.code, 2);
  const { error } = JSON.parse(json.stdout);
  t.is(error.code, 'database_not_empty');
  t.true(error.record);
  t.true(error.examples.includes('shop.item'));

  const forced = await pgpatch(project, db.url, 'load', ['--force']);
  t.is(forced.code, 0, forced.stderr);
  t.deepEqual((await query(db.url, 'select * from shop.item')).rows, []);
  // The record it had is left as it was: the load does not rewrite it.
  t.is(await recordCount(db.url), 1);
});

eachServer(test, 'load refuses a database with objects but no record; an empty one loads', async (t, server) => {
  const { project, db } = await setUp(t, server, { database: DESTRUCTIVE });
  await query(db.url, 'create table public.precious (id int); insert into public.precious values (1)');
  const refused = await pgpatch(project, db.url, 'load', ['--no-record']);
  t.is(refused.code, 2, refused.stderr);
  t.regex(refused.stderr, /such as public\.precious/);
  t.is((await query(db.url, `select to_regnamespace('shop') is null as absent`)).rows[0].absent, true);

  const empty = await createDatabase(server.url, 'load_guard_empty');
  t.teardown(() => empty.drop());
  const loaded = await pgpatch(project, empty.url, 'load');
  t.is(loaded.code, 0, loaded.stderr);
});

eachServer(
  test,
  'load of the schema entry records the patches present as assumed: migrate then runs only later patches',
  async (t, server) => {
    const { project, db } = await setUp(t, server, {
      database: 'create schema shop;\ncreate table shop.item (id int primary key, name text, note text);\n',
      patches: { '2024-01-01_add_note.sql': 'alter table shop.item add column note text;\n' },
    });
    const loaded = await pgpatch(project, db.url, 'load');
    t.is(loaded.code, 0, loaded.stderr);
    t.regex(loaded.stderr, /recorded 1 patch as assumed in public\.schema_patch: migrate runs only patches written from now on/);
    t.deepEqual((await query(db.url, 'select name, status, checksum is not null as summed from public.schema_patch')).rows, [
      { name: '2024-01-01_add_note', status: 'assumed', summed: true },
    ]);

    const nothing = await pgpatch(project, db.url, 'migrate', ['--check']);
    t.is(nothing.code, 0, nothing.stdout + nothing.stderr);
    project.patch('2024-02-01_add_price.sql', 'alter table shop.item add column price numeric;\n');
    const migrated = await pgpatch(project, db.url, 'migrate');
    t.is(migrated.code, 0, migrated.stderr);
    t.deepEqual((await query(db.url, 'select name, status from public.schema_patch order by name')).rows, [
      { name: '2024-01-01_add_note', status: 'assumed' },
      { name: '2024-02-01_add_price', status: 'applied' },
    ]);
  },
);

eachServer(test, 'load --no-record, and a file that is not the schema entry, write no record', async (t, server) => {
  const { project, db } = await setUp(t, server, {
    database: 'create table public.item (id int);\n',
    patches: { '2024-01-01_a.sql': 'select 1;\n' },
  });
  const loaded = await pgpatch(project, db.url, 'load', ['--no-record']);
  t.is(loaded.code, 0, loaded.stderr);
  t.false(await hasRecord(db.url));

  const other = await createDatabase(server.url, 'load_guard_data');
  t.teardown(() => other.drop());
  writeFileSync(join(project.dir, 'schema', 'seed.sql'), 'create table public.seed (id int);\n');
  const seeded = await pgpatch(project, other.url, 'load', ['schema/seed.sql']);
  t.is(seeded.code, 0, seeded.stderr);
  t.false(await hasRecord(other.url));
  // A data file into the built database: refused like any load, loaded with --force.
  writeFileSync(join(project.dir, 'schema', 'data.sql'), 'insert into public.item values (1);\n');
  t.is((await pgpatch(project, db.url, 'load', ['schema/data.sql'])).code, 2);
  const data = await pgpatch(project, db.url, 'load', ['schema/data.sql', '--force']);
  t.is(data.code, 0, data.stderr);
  t.is((await query(db.url, 'select count(*)::int as n from public.item')).rows[0].n, 1);
});

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

/** `pgpatch load --dsn url` on a pseudo-terminal, typing `answer`. */
function loadOnTerminal(cwd, url, answer) {
  const env = { ...process.env };
  for (const k of ['DATABASE_URL', 'PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER', 'NODE_EXTRA_CA_CERTS']) delete env[k];
  return spawnSync('script', ['-qec', `'${process.execPath}' '${CLI}' load --dsn '${url}'`, '/dev/null'], {
    cwd,
    env,
    input: `${answer}\n`,
    encoding: 'utf8',
    timeout: 60000,
  });
}

if (!hasScript) {
  test.skip('on a terminal, load asks before loading into a database that is not empty: skipped, no `script` (util-linux) to give it a terminal', () => {});
} else {
  eachServer(
    test,
    'on a terminal, load asks before loading into a database that is not empty: n refuses, y loads',
    async (t, server) => {
      const { project, db } = await setUp(t, server, { database: DESTRUCTIVE });
      await query(db.url, 'create table public.precious (id int)');
      const no = loadOnTerminal(project.dir, db.url, 'n');
      t.is(no.status, 2, no.stdout);
      t.regex(no.stdout, /is not empty \(1 table, view or sequence\)\. Load the file into it anyway\? \(y\/N\)/);
      t.is((await query(db.url, `select to_regnamespace('shop') is null as absent`)).rows[0].absent, true);
      const yes = loadOnTerminal(project.dir, db.url, 'y');
      t.is(yes.status, 0, yes.stdout);
      t.is((await query(db.url, `select to_regclass('shop.item') is not null as ok`)).rows[0].ok, true);
    },
    { only: ['pg18'] },
  );
}

eachServer(
  test,
  'bad input is reported before the question about the database: -1 with a script that cannot run in one transaction',
  async (t, server) => {
    const { project, db } = await setUp(t, server, {
      database: 'create table public.t (id int);\ncreate index concurrently t_id on public.t (id);\n',
    });
    await query(db.url, 'create table public.precious (id int)');
    const r = await pgpatch(project, db.url, 'load', ['-1']);
    t.is(r.code, 2, r.stderr);
    t.regex(r.stderr, /cannot load .*database\.sql in one transaction/);
    t.notRegex(r.stderr, /is not empty/);
  },
  { only: ['pg18'] },
);
