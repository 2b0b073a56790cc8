// pgpatch testdb: a template database equal to the schema files plus the patches, for test
// databases cloned from it (Django's TEST TEMPLATE). Rebuilt only when what goes in changed (a
// content hash stored with it), atomically (a killed run leaves the old one), one run at a time,
// never over a database it did not make. Every test on both servers: the template is cloned by
// the server's own CREATE DATABASE, whose locks and rules differ by major.
import test from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, runCli } from '../helpers/cli.mjs';
import { adminQuery, urlFor } from '../helpers/database.mjs';
import { plainProject } from '../helpers/gitdir.mjs';
import { waitFor } from '../helpers/project.mjs';
import { eachServer } from '../helpers/servers.mjs';

const SCHEMA = `create table book (id int generated always as identity primary key, title text not null);
grant select, insert, update, delete on book to public;
create table log (id int primary key, line text);
grant select on log to public;
`;

/** A template name for one test on `server`; every database of that name or of its builds is dropped after. */
function templateFor(t, server) {
  const name = `tmpl_${randomBytes(4).toString('hex')}`;
  t.teardown(async () => {
    for (const datname of [name, ...(await leftovers(server, name))]) {
      await adminQuery(server.url, `alter database "${datname}" is_template false`).catch(() => undefined);
      await adminQuery(server.url, `drop database if exists "${datname}" with (force)`).catch(() => undefined);
    }
  });
  return { name, url: urlFor(server.url, name) };
}

function project(t, files = {}) {
  return plainProject(t, { 'schema/database.sql': SCHEMA, 'schema/patches/.gitkeep': '', ...files });
}

const testdb = (dir, url, args = []) => runCli(['testdb', '--dsn', url, ...args], { cwd: dir });

async function templateState(server, name) {
  const { rows } = await adminQuery(
    server.url,
    "select oid::int as oid, datistemplate, shobj_description(oid, 'pg_database') as marker from pg_database where datname = $1",
    [name],
  );
  return rows[0];
}

/** The databases testdb builds a template in, or keeps the old one in until it is dropped: pgpatch_testdb_<sha256 of the name, 10 hex>_... */
async function leftovers(server, name) {
  const prefix = `pgpatch_testdb_${createHash('sha256').update(name).digest('hex').slice(0, 10)}_`;
  const { rows } = await adminQuery(server.url, 'select datname from pg_database where starts_with(datname, $1)', [prefix]);
  return rows.map((r) => r.datname);
}

eachServer(
  test,
  'testdb builds the template once, says it is current while nothing changed, and rebuilds when a file or patch changes',
  async (t, server) => {
    const tmpl = templateFor(t, server);
    const dir = project(t, { 'schema/patches/2030-01-01_first.sql': 'select 1;\n' });
    const first = await testdb(dir, tmpl.url);
    t.is(first.code, 0, first.stderr);
    t.regex(first.stdout, new RegExp(`^built ${tmpl.name}: .*was missing`, 'm'));
    const built = await templateState(server, tmpl.name);
    t.true(built.datistemplate);
    // The schema files, and the patches recorded as assumed, as migrate's first run would.
    t.deepEqual((await adminQuery(tmpl.url, 'select name, status from public.schema_patch')).rows, [
      { name: '2030-01-01_first', status: 'assumed' },
    ]);

    const again = await testdb(dir, tmpl.url);
    t.is(again.code, 0, again.stderr);
    t.regex(again.stdout, new RegExp(`^${tmpl.name} is current`, 'm'));
    t.is((await templateState(server, tmpl.name)).oid, built.oid, 'not rebuilt');

    // A comment outside any statement changes nothing that goes in.
    writeFileSync(join(dir, 'schema/database.sql'), `-- the bookshop\n${SCHEMA}`);
    t.regex((await testdb(dir, tmpl.url)).stdout, /is current/);

    writeFileSync(join(dir, 'schema/database.sql'), `${SCHEMA}alter table book add column isbn text;\n`);
    const edited = await testdb(dir, tmpl.url);
    t.is(edited.code, 0, edited.stderr);
    t.regex(edited.stdout, new RegExp(`^rebuilt ${tmpl.name}: the schema files changed`, 'm'));
    const rebuilt = await templateState(server, tmpl.name);
    t.not(rebuilt.oid, built.oid);
    t.true(rebuilt.datistemplate);
    t.is(
      (await adminQuery(tmpl.url, "select count(*)::int as n from pg_attribute where attrelid = 'book'::regclass and attname = 'isbn'"))
        .rows[0].n,
      1,
    );

    writeFileSync(join(dir, 'schema/patches/2030-01-02_isbn.sql'), 'alter table book add column isbn text;\n');
    const patched = await testdb(dir, tmpl.url, ['--json']);
    t.is(patched.code, 0, patched.stderr);
    t.like(JSON.parse(patched.stdout), { template: tmpl.name, state: 'rebuilt', changed: ['patches'], patches: 2 });
    t.deepEqual(await leftovers(server, tmpl.name), []);
  },
);

eachServer(
  test,
  'a clone of the template is the schema; a role that may DELETE may TRUNCATE there (Django flush), one that may not, may not',
  async (t, server) => {
    const tmpl = templateFor(t, server);
    const dir = project(t);
    t.is((await testdb(dir, tmpl.url)).code, 0);
    const role = `tester_${randomBytes(4).toString('hex')}`;
    const clone = `${tmpl.name}_clone`;
    await adminQuery(server.url, `create role ${role} login createdb`);
    t.teardown(async () => {
      await adminQuery(server.url, `drop database if exists ${clone} with (force)`);
      await adminQuery(server.url, `drop role if exists ${role}`);
    });
    // Not the template's owner: cloning needs the template flag (and CREATEDB).
    const asRole = new URL(server.url);
    asRole.username = role;
    await adminQuery(asRole.toString(), `create database ${clone} template ${tmpl.name}`);
    const cloneUrl = new URL(urlFor(server.url, clone));
    cloneUrl.username = role;
    await adminQuery(cloneUrl.toString(), "insert into book (title) values ('A')");
    await adminQuery(cloneUrl.toString(), 'truncate book');
    const e = await t.throwsAsync(adminQuery(cloneUrl.toString(), 'truncate log'));
    t.regex(e.message, /permission denied for table log/);
  },
);

eachServer(test, 'a database testdb did not make is never replaced: exit 2, untouched', async (t, server) => {
  const tmpl = templateFor(t, server);
  await adminQuery(server.url, `create database ${tmpl.name}`);
  await adminQuery(tmpl.url, 'create table precious (id int)');
  const r = await testdb(project(t), tmpl.url);
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, new RegExp(`${tmpl.name} exists and was not made by pgpatch testdb`));
  t.is((await adminQuery(tmpl.url, "select to_regclass('precious') is not null as ok")).rows[0].ok, true);
});

eachServer(
  test,
  'a run killed while it builds leaves the old template; the next run drops what it left and rebuilds',
  async (t, server) => {
    const tmpl = templateFor(t, server);
    const dir = project(t);
    t.is((await testdb(dir, tmpl.url)).code, 0);
    const before = await templateState(server, tmpl.name);
    writeFileSync(join(dir, 'schema/database.sql'), `${SCHEMA}select pg_sleep(60);\n`);
    const child = spawn(process.execPath, [CLI, 'testdb', '--dsn', tmpl.url], { cwd: dir, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('close', resolve));
    await waitFor(
      async () =>
        (await adminQuery(server.url, "select 1 from pg_stat_activity where query like '%pg_sleep(60)%' and pid <> pg_backend_pid()"))
          .rowCount > 0,
      'the build to reach pg_sleep',
      60000,
    );
    child.kill('SIGKILL');
    await exited;
    t.deepEqual(await templateState(server, tmpl.name), before, 'the old template, untouched');
    writeFileSync(join(dir, 'schema/database.sql'), `${SCHEMA}create table extra (id int);\n`);
    const next = await testdb(dir, tmpl.url);
    t.is(next.code, 0, next.stderr);
    t.regex(next.stdout, /^rebuilt /m);
    t.deepEqual(await leftovers(server, tmpl.name), []);
  },
);

eachServer(test, 'two runs at once: one builds, the other waits for it and finds the template current', async (t, server) => {
  const tmpl = templateFor(t, server);
  const dir = project(t, { 'schema/slow.sql': 'select pg_sleep(1);\n' });
  writeFileSync(join(dir, 'schema/database.sql'), `${SCHEMA}\\i slow.sql\n`);
  const [a, b] = await Promise.all([testdb(dir, tmpl.url), testdb(dir, tmpl.url)]);
  t.is(a.code, 0, a.stderr);
  t.is(b.code, 0, b.stderr);
  const outs = [a.stdout, b.stdout].sort();
  t.regex(outs.join(''), /^built /m);
  t.regex(outs.join(''), /is current/);
  t.deepEqual(await leftovers(server, tmpl.name), []);
});

eachServer(
  test,
  'a session connected to the template holds the swap back until it leaves, saying so; the old template stays until then',
  async (t, server) => {
    const tmpl = templateFor(t, server);
    const dir = project(t);
    t.is((await testdb(dir, tmpl.url)).code, 0);
    const before = await templateState(server, tmpl.name);
    const { default: pg } = await import('pg');
    const reader = new pg.Client({ connectionString: tmpl.url });
    await reader.connect();
    t.teardown(() => reader.end().catch(() => undefined));
    writeFileSync(join(dir, 'schema/database.sql'), `${SCHEMA}create table extra (id int);\n`);
    const child = spawn(process.execPath, [CLI, 'testdb', '--dsn', tmpl.url], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise((resolve) => child.on('close', resolve));
    await waitFor(() => /waiting for 1 session connected/.test(stderr), 'testdb to wait for the session', 60000);
    t.regex(stderr, new RegExp(`waiting for 1 session connected to ${tmpl.name}`));
    t.deepEqual(await templateState(server, tmpl.name), before, 'not swapped while a session is connected');
    await reader.end();
    t.is(await exited, 0, stderr);
    t.is((await adminQuery(tmpl.url, "select to_regclass('extra') is not null as ok")).rows[0].ok, true);
  },
);

eachServer(test, 'a template built on another server version, or by another pgpatch, is rebuilt, saying so', async (t, server) => {
  const tmpl = templateFor(t, server);
  const dir = project(t);
  t.is((await testdb(dir, tmpl.url)).code, 0);
  const { marker } = await templateState(server, tmpl.name);
  const data = JSON.parse(marker.replace(/^pgpatch testdb /, ''));
  data.server = 140009;
  await adminQuery(server.url, `comment on database ${tmpl.name} is 'pgpatch testdb ${JSON.stringify(data)}'`);
  const r = await testdb(dir, tmpl.url);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /rebuilt .*: it was built on PostgreSQL 14\.9, this server is PostgreSQL \d+/);
});
