// First run and baseline: psql's variables (DBNAME, USER, HOST, PORT) and the server's
// standard_conforming_strings apply in migrate's first-run build and in its patches, as in load;
// an interrupted first-run build is visible in the record and refused, not baselined.
import test from 'ava';
import { query } from '../helpers/database.mjs';
import { migrateBackend, pgpatch, startPgpatch, statuses, waitFor } from '../helpers/project.mjs';
import { eachServer } from '../helpers/servers.mjs';
import { LOG, trustProject } from './_trust.mjs';

eachServer(
  test,
  "psql's variables and standard_conforming_strings = off apply in the first-run build and in patches",
  async (t, server) => {
    const database = `create table log (id serial primary key, name text not null);
comment on table log is :'DBNAME';
insert into log (name) values ('built by ' || :'USER');
insert into log (name) values ('it\\'s; built');
`;
    const { p, url } = await trustProject(t, server, { database, record: false });
    const {
      rows: [{ db }],
    } = await query(url, 'select current_database() as db');
    await query(url, `alter database "${db}" set standard_conforming_strings = off`);
    const built = await pgpatch(p, url, 'migrate');
    t.is(built.code, 0, built.stderr);
    p.patch(
      '2024-01-01_vars.sql',
      "insert into log (name) values (:'DBNAME' || ' on ' || :'PORT');\ninsert into log (name) values ('it\\'s; patched');\n",
    );
    const patched = await pgpatch(p, url, 'migrate');
    t.is(patched.code, 0, patched.stderr);
    const port = new URL(url).port;
    t.deepEqual(
      (await query(url, LOG)).rows.map((r) => r.name),
      ['built by postgres', "it's; built", `${db} on ${port}`, "it's; patched"],
    );
    t.is((await query(url, "select obj_description('log'::regclass) as c")).rows[0].c, db);
  },
);

eachServer(
  test,
  'a first-run build outside a transaction, killed half-way, is visible in the record and refused, also by --assume-applied',
  async (t, server) => {
    const database = `create table log (id serial primary key, name text not null);
create index concurrently log_name on log (name);
select pg_sleep(:sleep);
create table built_last (id int);
`;
    const { p, url } = await trustProject(t, server, { database, record: false });
    p.patch('2024-01-01_a.sql', "insert into log (name) values ('a');\n");
    const { child, done } = startPgpatch(p, url, 'migrate', ['-v', 'sleep=60']);
    await migrateBackend(url);
    child.kill('SIGKILL');
    t.is((await done).signal, 'SIGKILL');
    t.deepEqual(await statuses(url), { 'pgpatch/first-run build': 'applying/patch' });
    // Wait for the dead client's backend to go (it holds the run lock until it notices).
    await waitFor(
      async () =>
        (
          await query(
            url,
            `select count(*)::int as n from pg_stat_activity
    where application_name like 'pgpatch migrate%' and datname = current_database()`,
          )
        ).rows[0].n === 0,
      'the killed run to end',
      60000,
    );
    for (const args of [['--assume-applied'], ['--check'], ['--plan', '--assume-applied'], ['-v', 'sleep=0']]) {
      const r = await pgpatch(p, url, 'migrate', args);
      t.is(r.code, 2, `${args}: ${r.stderr}`);
      t.regex(r.stderr, /the first-run build of this database from the schema files was interrupted .*: the database is half-built/);
    }
    t.deepEqual(await statuses(url), { 'pgpatch/first-run build': 'applying/patch' });
    t.false((await query(url, "select to_regclass('built_last') is not null as ok")).rows[0].ok);

    // A build that completes leaves no trace of that row.
    const fresh = await trustProject(t, server, { database, record: false });
    fresh.p.patch('2024-01-01_a.sql', "insert into log (name) values ('a');\n");
    const ok = await pgpatch(fresh.p, fresh.url, 'migrate', ['-v', 'sleep=0']);
    t.is(ok.code, 0, ok.stderr);
    t.deepEqual(await statuses(fresh.url), { '2024-01-01_a': 'assumed' });
  },
);
