// The record says when and how each patch was applied, by pgpatch: an accepted edit keeps that
// and is recorded beside it, and nothing a patch sets (application_name) is written as pgpatch's.
import test from 'ava';
import { query } from '../helpers/database.mjs';
import { pgpatch, record } from '../helpers/project.mjs';
import { eachServer } from '../helpers/servers.mjs';
import { trustProject } from './_trust.mjs';

eachServer(test, '--accept-checksum keeps when and how the patch was applied, and records the acceptance apart', async (t, server) => {
  const { p, url } = await trustProject(t, server);
  p.patch('2024-01-01_a.sql', "insert into log (name) values ('a');\nselect pg_sleep(0.05);\n");
  t.is((await pgpatch(p, url, 'migrate')).code, 0);
  const [applied] = await record(url);
  t.true(applied.duration_ms >= 50, String(applied.duration_ms));
  t.is(applied.checksum_accepted_at, null);
  p.patch('2024-01-01_a.sql', "insert into log (name) values ('a');\nselect pg_sleep(0.05);\n-- edited on purpose\n");
  const r = await pgpatch(p, url, 'migrate', ['--accept-checksum', '2024-01-01_a']);
  t.is(r.code, 0, r.stderr);
  const [accepted] = await record(url);
  t.not(accepted.checksum, applied.checksum);
  t.truthy(accepted.checksum_accepted_at);
  t.true(accepted.checksum_accepted_at >= applied.status_date);
  for (const column of ['status', 'stage', 'status_date', 'duration_ms', 'applied_by', 'application_name', 'ran_as'])
    t.deepEqual(accepted[column], applied[column], column);
});

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
