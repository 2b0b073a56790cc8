// How patches run: with their own BEGIN ... COMMIT, wrapped in one by pgpatch, or outside any
// transaction; and what the record says when each kind fails.
import test from 'ava';
import { query, useDatabase } from '../helpers/database.mjs';
import { exists, pgpatch, projectWithRecord, record, statuses } from '../helpers/project.mjs';

useDatabase(test);

test.afterEach.always((t) => t.context.project?.cleanup());

const BASE = `create table parent (id int primary key);
create table child (id int primary key, parent_id int references parent deferrable initially deferred);
`;

const setup = (t, database = BASE) => projectWithRecord(t, database);

test('a patch with its own BEGIN ... COMMIT commits with its record, or neither does', async (t) => {
  const { p, url } = await setup(t);
  p.patch('2024-01-01_ok.sql', 'begin;\ninsert into parent values (1);\ninsert into child values (1, 1);\ncommit;\n');
  // The deferred foreign key is only checked at COMMIT: the patch's statements all succeed,
  // then its COMMIT fails, after pgpatch wrote the record row in the same transaction.
  p.patch('2024-02-01_deferred.sql', 'begin;\ninsert into child values (2, 99);\ncreate table made_by_deferred (id int);\ncommit;\n');
  p.patch('2024-03-01_later.sql', 'create table later (id int);\n');
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, /2024-02-01_deferred/);
  t.regex(r.stderr, /violates foreign key constraint/);
  t.deepEqual(await statuses(url), { '2024-01-01_ok': 'applied' }, 'the failed patch has no record row');
  t.false(await exists(url, 'made_by_deferred'));
  t.deepEqual((await query(url, 'select id from child order by id')).rows, [{ id: 1 }]);
  t.false(await exists(url, 'later'));
  const rows = await record(url);
  t.is(rows[0].stage, 'patch');

  // Fixed, it applies, and its record row was written inside its own transaction: the row's
  // transaction id is the one that created the patch's table.
  p.patch(
    '2024-02-01_deferred.sql',
    'begin;\ninsert into parent values (99);\ninsert into child values (2, 99);\ncreate table made_by_deferred (id int);\ncommit;\n',
  );
  const fixed = await pgpatch(p, url, 'migrate');
  t.is(fixed.code, 0, fixed.stderr);
  const { rows: xmin } = await query(
    url,
    `select (select xmin::text from schema_patch where name = '2024-02-01_deferred') as rec,
      (select xmin::text from pg_class where relname = 'made_by_deferred') as tbl`,
  );
  t.is(xmin[0].rec, xmin[0].tbl);
  t.deepEqual(await statuses(url), { '2024-01-01_ok': 'applied', '2024-02-01_deferred': 'applied', '2024-03-01_later': 'applied' });
});

test('a patch without transaction control is wrapped in one: a failure in its second statement undoes the first', async (t) => {
  const { p, url } = await setup(t);
  p.patch('2024-01-01_two.sql', 'create table first_one (id int);\ninsert into nowhere values (1);\n');
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, /2024-01-01_two\.sql:2:13: ERROR:  relation "nowhere" does not exist/);
  t.regex(r.stderr, /rolled back and is not recorded/);
  t.false(await exists(url, 'first_one'));
  t.deepEqual(await statuses(url), {});

  p.patch('2024-01-01_two.sql', 'create table first_one (id int);\ninsert into first_one values (1);\n');
  const ok = await pgpatch(p, url, 'migrate');
  t.is(ok.code, 0, ok.stderr);
  t.true(await exists(url, 'first_one'));
  // Same transaction as the table it created: the record commits with the patch.
  const { rows } = await query(
    url,
    `select (select xmin::text from schema_patch where name = '2024-01-01_two') as rec,
      (select xmin::text from pg_class where relname = 'first_one') as tbl`,
  );
  t.is(rows[0].rec, rows[0].tbl);
});

test("a wrapped patch whose deferred constraint fails at the COMMIT pgpatch adds: reported as the patch's error, nothing recorded", async (t) => {
  const { p, url } = await setup(t);
  p.patch('2024-01-01_deferred.sql', 'create table made_here (id int);\ninsert into child values (1, 42);\n\n');
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, /2024-01-01_deferred\.sql:2:1: ERROR:  insert or update on table "child" violates foreign key constraint/);
  t.regex(r.stderr, /CONTEXT:  at the COMMIT that pgpatch runs after the last statement/);
  t.notRegex(r.stderr, /internal error/);
  t.false(await exists(url, 'made_here'));
  t.deepEqual(await statuses(url), {});
});

test('CREATE INDEX CONCURRENTLY runs outside a transaction and is recorded applied', async (t) => {
  const { p, url } = await setup(t);
  p.patch('2024-01-01_idx.sql', 'create index concurrently parent_idx on parent (id);\n');
  const plan = await pgpatch(p, url, 'migrate', ['--plan', '--json']);
  t.is(JSON.parse(plan.stdout).outcomes[0].mode, 'none');
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 0, r.stderr);
  t.true(await exists(url, 'parent_idx'));
  const { rows } = await query(url, `select indisvalid from pg_index where indexrelid = 'parent_idx'::regclass`);
  t.true(rows[0].indisvalid);
  const rec = await record(url);
  t.is(rec[0].status, 'applied');
  t.is(rec[0].stage, 'patch');
  t.regex(rec[0].checksum, /^[0-9a-f]{64}$/);
});

test('a failing non-transactional patch is recorded failed; the next run refuses until --retry or --fake', async (t) => {
  const { p, url } = await setup(t);
  p.patch('2024-01-01_before.sql', 'create table before_it (id int);\n');
  // The first statement commits on its own; the second fails.
  p.patch(
    '2024-02-01_half.sql',
    'create index concurrently half_idx on parent (id);\ncreate index concurrently broken_idx on no_such_table (id);\n',
  );
  p.patch('2024-03-01_after.sql', 'create table after_it (id int);\n');
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, /2024-02-01_half\.sql:2:\d+: ERROR:  relation "no_such_table" does not exist/);
  t.regex(r.stderr, /recorded as failed \(stage patch\)/);
  t.deepEqual(await statuses(url), { '2024-01-01_before': 'applied', '2024-02-01_half': 'failed/patch' });
  t.true(await exists(url, 'half_idx'), 'what ran outside a transaction stays');
  t.false(await exists(url, 'after_it'));
  const failedRow = (await record(url)).find((x) => x.name === '2024-02-01_half');
  t.regex(failedRow.error, /no_such_table/);

  const show = await pgpatch(p, url, 'showmigrations');
  t.regex(show.stdout, /\[!\] 2024-02-01_half\s+failed, in stage patch, [\d-]+ [\d:]+, error: .*relation "no_such_table" does not exist$/m);

  const refused = await pgpatch(p, url, 'migrate');
  t.is(refused.code, 2, refused.stderr);
  t.regex(refused.stderr, /--retry 2024-02-01_half/);
  t.regex(refused.stderr, /--fake 2024-02-01_half/);
  t.false(await exists(url, 'after_it'), 'later patches do not run past a failed one');

  // Retried as it is, it fails again in the same way (half_idx now exists, so it fails earlier).
  const again = await pgpatch(p, url, 'migrate', ['--retry', '2024-02-01_half']);
  t.is(again.code, 3, again.stderr);
  t.deepEqual((await statuses(url))['2024-02-01_half'], 'failed/patch');

  // Fixed and retried, it applies, and the rest follows.
  p.patch(
    '2024-02-01_half.sql',
    'create index concurrently if not exists half_idx on parent (id);\ncreate index concurrently broken_idx on child (id);\n',
  );
  const retried = await pgpatch(p, url, 'migrate', ['--retry', '2024-02-01_half']);
  t.is(retried.code, 0, retried.stderr);
  t.deepEqual(await statuses(url), { '2024-01-01_before': 'applied', '2024-02-01_half': 'applied', '2024-03-01_after': 'applied' });
  t.true(await exists(url, 'broken_idx'));
  t.is((await record(url)).find((x) => x.name === '2024-02-01_half').error, null);
});

test('a failed non-transactional patch can be marked applied with --fake', async (t) => {
  const { p, url } = await setup(t);
  p.patch('2024-02-01_half.sql', '-- pgpatch: no-transaction\ncreate table done_part (id int);\nselect 1/0;\n');
  p.patch('2024-03-01_after.sql', 'create table after_it (id int);\n');
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, /division by zero/);
  t.true(await exists(url, 'done_part'));
  t.deepEqual(await statuses(url), { '2024-02-01_half': 'failed/patch' });
  const faked = await pgpatch(p, url, 'migrate', ['--fake', '2024-02-01_half']);
  t.is(faked.code, 0, faked.stderr);
  // --fake records only: the next run applies the rest.
  t.deepEqual(await statuses(url), { '2024-02-01_half': 'applied' });
  t.is((await pgpatch(p, url, 'migrate')).code, 0);
  t.deepEqual(await statuses(url), { '2024-02-01_half': 'applied', '2024-03-01_after': 'applied' });
});

test('BEGIN without COMMIT, and a patch ending in ROLLBACK, are refused before anything runs', async (t) => {
  const { p, url } = await setup(t);
  p.patch('2024-01-01_fine.sql', 'create table fine (id int);\n');
  p.patch('2024-02-01_open.sql', 'create table x (id int);\nbegin;\ncreate table open_one (id int);\n');
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, /2024-02-01_open\.sql:2:1: error: .*never commits/);
  t.regex(r.stderr, /add COMMIT/);
  t.false(await exists(url, 'fine'), 'earlier patches are not applied either');
  t.false(await exists(url, 'x'));
  t.deepEqual(await statuses(url), {});

  p.patch('2024-02-01_open.sql', 'begin;\ncreate table open_one (id int);\nrollback;\n');
  const rb = await pgpatch(p, url, 'migrate');
  t.is(rb.code, 3, rb.stderr);
  t.regex(rb.stderr, /2024-02-01_open\.sql:3:1: error: .*ends with ROLLBACK/);
  t.false(await exists(url, 'fine'));
  t.deepEqual(await statuses(url), {});

  // --plan says so too, without touching anything.
  const plan = await pgpatch(p, url, 'migrate', ['--plan']);
  t.is(plan.code, 3);
  t.regex(plan.stderr, /ends with ROLLBACK/);
});

test('a patch with several transactions runs as written and is recorded applied', async (t) => {
  const { p, url } = await setup(t);
  p.patch('2024-01-01_two_tx.sql', 'begin;\ncreate table one (id int);\ncommit;\nbegin;\ncreate table two (id int);\ncommit;\n');
  const r = await pgpatch(p, url, 'migrate', ['--json']);
  t.is(r.code, 0, r.stderr);
  t.is(JSON.parse(r.stdout).outcomes[0].mode, 'none');
  t.true(await exists(url, 'one'));
  t.true(await exists(url, 'two'));
  t.deepEqual(await statuses(url), { '2024-01-01_two_tx': 'applied' });
});

test('a wrapped patch whose record cannot be written is rolled back with it, and the error says why', async (t) => {
  const { p, url } = await setup(t);
  // The patch itself makes the record refuse it: the record's insert fails in the patch's
  // transaction, and the COMMIT queued behind it must not commit the patch.
  p.patch(
    '2024-01-01_blocks_record.sql',
    `create table made_by_patch (id int);
create function refuse() returns trigger language plpgsql as $$ begin raise exception 'record refused'; end $$;
create trigger refuse before insert on schema_patch for each row execute function refuse();
`,
  );
  p.patch('2024-02-01_later.sql', 'create table later (id int);\n');
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, /2024-01-01_blocks_record\.sql:\d+:\d+: ERROR:  record refused \(SQLSTATE P0001\)/);
  t.regex(
    r.stderr,
    /CONTEXT:  while pgpatch wrote the patch's row in "public"\."schema_patch", after its last statement\n {14}PL\/pgSQL function refuse\(\)/,
  );
  t.notRegex(r.stderr, /internal error/);
  t.false(await exists(url, 'made_by_patch'), 'the patch was rolled back');
  t.false(await exists(url, 'later'));
  t.deepEqual(await statuses(url), {});
  t.is((await query(url, "select count(*)::int as n from pg_trigger where tgname = 'refuse'")).rows[0].n, 0);
  t.is(
    (
      await query(
        url,
        "select count(*)::int as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'",
      )
    ).rows[0].n,
    0,
  );

  p.patch('2024-01-01_blocks_record.sql', 'create table made_by_patch (id int);\n');
  const again = await pgpatch(p, url, 'migrate');
  t.is(again.code, 0, again.stderr);
  t.deepEqual(await statuses(url), { '2024-01-01_blocks_record': 'applied', '2024-02-01_later': 'applied' });
});
