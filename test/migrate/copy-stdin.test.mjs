// A patch with `COPY ... FROM stdin` and its data inline (a configuration table's rows): applied
// statement by statement (the data cannot go in the one-message batch), with its record in the
// same transaction; a bad row fails the patch at that row's line and leaves nothing.
import test from 'ava';
import { query, useDatabase } from '../helpers/database.mjs';
import { pgpatch, projectWithRecord, statuses } from '../helpers/project.mjs';

useDatabase(test);

test.afterEach.always((t) => t.context.project?.cleanup());

const CONF = 'create table conf (key text primary key, value text);\n';

test('a wrapped patch with COPY FROM stdin is applied with its rows and recorded', async (t) => {
  const { p, url } = await projectWithRecord(t, CONF);
  p.patch(
    '2024-01-01_conf.sql',
    "copy conf (key, value) from stdin;\ncolor\tblue\nsize\t\\N\n\\.\ninsert into conf values ('after', 'copy');\n",
  );
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 0, r.stderr);
  t.deepEqual((await query(url, 'select key, value from conf order by key')).rows, [
    { key: 'after', value: 'copy' },
    { key: 'color', value: 'blue' },
    { key: 'size', value: null },
  ]);
  t.deepEqual(await statuses(url), { '2024-01-01_conf': 'applied' });
});

test('a patch with its own BEGIN ... COMMIT and COPY FROM stdin is applied and recorded', async (t) => {
  const { p, url } = await projectWithRecord(t, CONF);
  p.patch('2024-01-01_own.sql', 'BEGIN;\ncopy conf from stdin;\na\t1\n\\.\nCOMMIT;\n');
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 0, r.stderr);
  t.deepEqual((await query(url, 'select key, value from conf')).rows, [{ key: 'a', value: '1' }]);
  t.deepEqual(await statuses(url), { '2024-01-01_own': 'applied' });
});

test('a bad row fails the patch at its line: nothing of the patch stays, nothing recorded', async (t) => {
  const { p, url } = await projectWithRecord(t, CONF);
  p.patch('2024-01-01_bad.sql', "insert into conf values ('before', 'x');\ncopy conf from stdin;\na\t1\na\t2\n\\.\n");
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, /2024-01-01_bad\.sql:4:1: ERROR: {2}duplicate key value violates unique constraint "conf_pkey"/);
  t.deepEqual((await query(url, 'select count(*)::int as n from conf')).rows, [{ n: 0 }]);
  t.deepEqual(await statuses(url), {});
});

test('the first run builds the database from schema files with COPY FROM stdin', async (t) => {
  const p = (t.context.project = (await import('../helpers/project.mjs')).makeProject({
    database: `${CONF}copy conf from stdin;\nseeded\tyes\n\\.\n`,
  }));
  const r = await pgpatch(p, t.context.db.url, 'migrate');
  t.is(r.code, 0, r.stderr);
  t.deepEqual((await query(t.context.db.url, 'select key, value from conf')).rows, [{ key: 'seeded', value: 'yes' }]);
});
