// The record says when and how each patch was applied, by pgpatch: nothing a patch sets
// (application_name) is written as pgpatch's.
import test from 'ava';
import { query } from '../helpers/database.mjs';
import { pgpatch, record } from '../helpers/project.mjs';
import { eachServer } from '../helpers/servers.mjs';
import { trustProject } from './_trust.mjs';

eachServer(test, "a patch that sets application_name: the record keeps pgpatch's own", async (t, server) => {
  const { p, url } = await trustProject(t, server);
  p.patch('2024-01-01_named.sql', "set application_name = 'not pgpatch';\ncreate table named (id int);\n");
  p.patch('2024-02-01_own.sql', "begin;\nset application_name = 'not pgpatch either';\ncreate table own (id int);\ncommit;\n");
  p.patch('2024-03-01_none.sql', "-- pgpatch: no-transaction\nset application_name = 'nor this';\ncreate table none (id int);\n");
  p.patch('2024-04-01_after.sql', 'create table after_named (id int);\n');
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 0, r.stderr);
  const rows = await record(url);
  t.is(rows.length, 4);
  for (const row of rows) t.regex(row.application_name, /^pgpatch migrate on /, row.name);
  t.true((await query(url, "select to_regclass('public.after_named') is not null as ok")).rows[0].ok);
});
