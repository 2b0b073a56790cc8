// A patch that pgpatch wraps in a transaction goes to the server as one message (BEGIN, its
// statements, its record, COMMIT): one round trip. What must not change: where errors and
// notices are placed, what is recorded, and the fallback to one statement at a time.
import test from 'ava';
import { query, useDatabase } from '../helpers/database.mjs';
import { exists, migrateBackend, pgpatch, projectWithRecord, record, startPgpatch, statuses } from '../helpers/project.mjs';

useDatabase(test);

test.afterEach.always((t) => t.context.project?.cleanup());

const setup = (t) => projectWithRecord(t);

test('the whole patch and its record are one message: the server sees BEGIN ... COMMIT at once', async (t) => {
  const { p, url } = await setup(t);
  p.patch(
    '2024-01-01_slow.sql',
    "insert into log (name) values ('slow');\nselect pg_sleep(1.5);\ninsert into log (name) values ('after');\n",
  );
  const { done } = startPgpatch(p, url, 'migrate');
  const pid = await migrateBackend(url);
  const { rows } = await query(url, 'select query from pg_stat_activity where pid = $1', [pid]);
  // After the session reset, then the record row, in the statement that checks the run still holds its lock.
  t.regex(
    rows[0].query,
    /(^|;\n)begin;\ninsert into log \(name\) values \('slow'\);\nselect pg_sleep\(1\.5\);\ninsert into log \(name\) values \('after'\);\nwith record as \(insert into "public"\."schema_patch"/,
  );
  // pg_stat_activity keeps the first 1 kB (track_activity_query_size): the session reset opens the message.
  t.regex(rows[0].query, /^begin;\nset session authorization default;\n[^]*\ncommit;\nbegin;\n/);
  const r = await done;
  t.is(r.code, 0, r.stderr);
  const row = (await record(url))[0];
  t.like(row, { name: '2024-01-01_slow', status: 'applied', stage: 'patch' });
  t.true(row.duration_ms >= 1500 && row.duration_ms < 60000, `duration_ms ${row.duration_ms} counts the server's time`);
  t.is(row.applied_by, 'postgres');
  t.regex(row.application_name, /^pgpatch migrate/);
  t.is(row.checksum.length, 64);
});

test('a patch with its own BEGIN ... COMMIT is one message too, its record just before its COMMIT', async (t) => {
  const { p, url } = await setup(t);
  p.patch('2024-01-01_own.sql', "BEGIN;\ninsert into log (name) values ('own');\nselect pg_sleep(1.5);\nCOMMIT;\n");
  const { done } = startPgpatch(p, url, 'migrate');
  const pid = await migrateBackend(url);
  const { rows } = await query(url, 'select query from pg_stat_activity where pid = $1', [pid]);
  // Cut at 1 kB by pg_stat_activity: the record and the COMMIT follow (see transactions.test.mjs for the record's transaction).
  t.regex(
    rows[0].query,
    /;\nBEGIN;\ninsert into log \(name\) values \('own'\);\nselect pg_sleep\(1\.5\);\nwith record as \(insert into "public"\."schema_patch"/,
  );
  const r = await done;
  t.is(r.code, 0, r.stderr);
  t.deepEqual(await statuses(url), { '2024-01-01_own': 'applied' });

  // Its own COMMIT failing (a deferred constraint) is reported at its COMMIT line; nothing stays.
  p.patch(
    '2024-02-01_deferred.sql',
    `BEGIN;
create table parent (id int primary key);
create table child (id int references parent deferrable initially deferred);
insert into child values (1);
COMMIT;
`,
  );
  const bad = await pgpatch(p, url, 'migrate');
  t.is(bad.code, 3, bad.stderr);
  t.regex(bad.stderr, /2024-02-01_deferred\.sql:5:1: ERROR:  insert or update on table "child" violates foreign key constraint/);
  t.false(await exists(url, 'parent'));
  t.deepEqual(await statuses(url), { '2024-01-01_own': 'applied' });
});

test('errors are placed in the file: after non-ASCII text in an earlier statement, and without a position', async (t) => {
  const { p, url } = await setup(t);
  // Code points and UTF-16 units differ before the error: the position must still land on "nme".
  p.patch('2024-01-01_a.sql', "insert into log (name) values ('café 😀 ñ');\n\nselect id,\n  nme from log;\n");
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, /2024-01-01_a\.sql:4:3: ERROR:  column "nme" does not exist/);
  t.regex(r.stderr, /4 \|\s+nme from log;\n\s+\|\s+\^/);
  t.deepEqual(await statuses(url), {});
  t.is((await query(url, 'select count(*)::int as n from log')).rows[0].n, 0, 'the first statement was rolled back');

  // An error without a position is the statement that was running (the second here).
  p.patch('2024-01-01_a.sql', "insert into log (name) values ('x');\nselect 1/0;\ninsert into log (name) values ('y');\n");
  const noPosition = await pgpatch(p, url, 'migrate');
  t.regex(noPosition.stderr, /2024-01-01_a\.sql:2:1: ERROR:  division by zero/);

  // Still usable after a failed batch: the next patch of a later run applies.
  p.patch('2024-01-01_a.sql', "insert into log (name) values ('fixed');\n");
  const ok = await pgpatch(p, url, 'migrate');
  t.is(ok.code, 0, ok.stderr);
  t.deepEqual(
    (await query(url, 'select name from log')).rows.map((x) => x.name),
    ['fixed'],
  );
});

test('notices name the statement that raised them', async (t) => {
  const { p, url } = await setup(t);
  p.patch(
    '2024-01-01_n.sql',
    "insert into log (name) values ('a');\n\ndo $$ begin raise notice 'from line three'; end $$;\nselect 1;\ndo $$ begin raise notice 'from line five'; end $$;\n",
  );
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /2024-01-01_n\.sql:3: NOTICE: {2}from line three/);
  t.regex(r.stderr, /2024-01-01_n\.sql:5: NOTICE: {2}from line five/);
});

test('with \\echo, or a setting that changes how text is read, the patch runs one statement at a time', async (t) => {
  const { p, url } = await setup(t);
  p.patch('2024-01-01_echo.sql', "insert into log (name) values ('one');\n\\echo between\nselect pg_sleep(1.5);\n");
  const { done } = startPgpatch(p, url, 'migrate');
  const pid = await migrateBackend(url);
  const { rows } = await query(url, 'select query from pg_stat_activity where pid = $1', [pid]);
  t.is(rows[0].query, 'select pg_sleep(1.5);', 'sent on its own');
  const r = await done;
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^between$/m);

  p.patch('2024-02-01_scs.sql', "set local standard_conforming_strings = on;\ninsert into log (name) values ('two');\n");
  t.is((await pgpatch(p, url, 'migrate')).code, 0);
  t.deepEqual(await statuses(url), { '2024-01-01_echo': 'applied', '2024-02-01_scs': 'applied' });
  t.true(await exists(url, 'log'));
});

test('names with quotes and backslashes reach the record intact through the batch', async (t) => {
  const { p, url } = await setup(t);
  const name = "2024-01-01_it's a \\back\\slash \\' $1 ''";
  p.patch(`${name}.sql`, "insert into log (name) values ('q');\n");
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 0, r.stderr);
  t.deepEqual(await statuses(url), { [name]: 'applied' });
  t.is((await query(url, 'show standard_conforming_strings')).rows[0].standard_conforming_strings, 'on');
  // And with standard_conforming_strings off (for this database only), E'' strings read the same.
  const db = (await query(url, 'select current_database() as db')).rows[0].db;
  await query(url, `alter database "${db}" set standard_conforming_strings = off`);
  {
    const other = `2024-02-01_more \\\\ 'quotes'`;
    p.patch(`${other}.sql`, "insert into log (name) values ('r');\n");
    const r2 = await pgpatch(p, url, 'migrate');
    t.is(r2.code, 0, r2.stderr);
    t.deepEqual(await statuses(url), { [name]: 'applied', [other]: 'applied' });
    t.is((await query(url, 'show standard_conforming_strings')).rows[0].standard_conforming_strings, 'off', 'the setting was in force');
  }
});
