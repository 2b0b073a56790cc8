// The run lock is the record's (issue 22): tenants of one database, each with its record in its
// own schema, are patched at the same time; two runs on the same record still exclude each other.
import test from 'ava';
import pg from 'pg';
import { query, useDatabase } from '../helpers/database.mjs';
import { LOG_TABLE, makeProject, migrateBackend, pgpatch, startPgpatch, statuses } from '../helpers/project.mjs';

useDatabase(test);

test.afterEach.always((t) => t.context.project?.cleanup());

test('a run on one record schema does not wait for a run on another; a second run on the same record does', async (t) => {
  const p = (t.context.project = makeProject({ database: LOG_TABLE }));
  const { url } = t.context.db;
  await query(url, LOG_TABLE);
  // An empty record in each schema (migrate adds the columns it lacks): the patch is then applied, not assumed.
  for (const schema of ['tenant_a', 'tenant_b'])
    await query(
      url,
      `create schema ${schema}; create table ${schema}.schema_patch (name text primary key, status text not null, status_date timestamptz not null default now())`,
    );
  // On tenant_a (-v wait=yes) the patch waits for a lock this test holds: that run stays in it until the test lets go.
  p.patch(
    '2024-01-01_held.sql',
    "insert into log (name) values ('held');\nselect case when :'wait' = 'yes' then pg_advisory_xact_lock(4242) end;\n",
  );
  const holder = new pg.Client({ connectionString: url });
  await holder.connect();
  t.teardown(() => holder.end());
  await holder.query('select pg_advisory_lock(4242)');
  const held = startPgpatch(p, url, 'migrate', ['--record-schema', 'tenant_a', '--no-input', '-v', 'wait=yes']);
  await migrateBackend(url, '%pg_advisory_xact_lock%');
  const other = await pgpatch(p, url, 'migrate', ['--record-schema', 'tenant_b', '--no-input', '-v', 'wait=no']);
  const same = await pgpatch(p, url, 'migrate', ['--record-schema', 'tenant_a', '--no-input', '-v', 'wait=no']);
  await holder.query('select pg_advisory_unlock(4242)');
  t.is(other.code, 0, `tenant_b's run waited for tenant_a's lock: ${other.stderr}`);
  t.is(same.code, 5, same.stderr);
  t.regex(same.stderr, /another pgpatch run holds the lock/);
  t.is((await held.done).code, 0);
  t.deepEqual(await statuses(url, 'tenant_a'), { '2024-01-01_held': 'applied' });
  t.deepEqual(await statuses(url, 'tenant_b'), { '2024-01-01_held': 'applied' });
});
