// First run and baseline: psql's variables (DBNAME, USER, HOST, PORT) and the server's
// standard_conforming_strings apply in migrate's first-run build and in its patches, as in load;
// an interrupted first-run build is visible in the record and refused, not baselined.
import test from 'ava';
import { query } from '../helpers/database.mjs';
import { makeProject, pgpatch, statuses } from '../helpers/project.mjs';
import { eachServer } from '../helpers/servers.mjs';
import { LOG, trustProject } from './_trust.mjs';

eachServer(test, "psql's variables and standard_conforming_strings = off apply in the first-run build and in patches", async (t, server) => {
  const database = `create table log (id serial primary key, name text not null);
comment on table log is :'DBNAME';
insert into log (name) values ('built by ' || :'USER');
insert into log (name) values ('it\\'s; built');
`;
  const { p, url } = await trustProject(t, server, { database, record: false });
  const { rows: [{ db }] } = await query(url, 'select current_database() as db');
  await query(url, `alter database "${db}" set standard_conforming_strings = off`);
  const built = await pgpatch(p, url, 'migrate');
  t.is(built.code, 0, built.stderr);
  p.patch('2024-01-01_vars.sql', "insert into log (name) values (:'DBNAME' || ' on ' || :'PORT');\ninsert into log (name) values ('it\\'s; patched');\n");
  const patched = await pgpatch(p, url, 'migrate');
  t.is(patched.code, 0, patched.stderr);
  const port = new URL(url).port;
  t.deepEqual((await query(url, LOG)).rows.map((r) => r.name), ['built by postgres', "it's; built", `${db} on ${port}`, "it's; patched"]);
  t.is((await query(url, "select obj_description('log'::regclass) as c")).rows[0].c, db);
});
