// When things break: a failing patch between good ones, migrate killed with SIGKILL in the
// middle of a patch, the server ending migrate's session, a patch that is not UTF-8.
import test from 'ava';
import { query, useDatabase } from '../helpers/database.mjs';
import { exists, migrateBackend, pgpatch, projectWithRecord, startPgpatch, statuses } from '../helpers/project.mjs';

useDatabase(test);

test.afterEach.always((t) => t.context.project?.cleanup());

const setup = (t) => projectWithRecord(t);

test('a failing patch in the middle: the first is applied, the failing one rolled back, the third untouched', async (t) => {
  const { p, url } = await setup(t);
  p.patch('2024-01-01_first.sql', "create table first_t (id int);\ninsert into log (name) values ('first');\n");
  p.patch(
    '2024-02-01_middle.sql',
    "create table middle_t (id int);\ninsert into log (name) values ('middle');\n\nselect id,\n  nme from log;\n",
  );
  p.patch('2024-03-01_third.sql', "create table third_t (id int);\ninsert into log (name) values ('third');\n");
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 3, r.stderr);
  // File, line and column of the server's error position.
  t.regex(r.stderr, /schema\/patches\/2024-02-01_middle\.sql:5:3: ERROR:  column "nme" does not exist/);
  t.regex(r.stderr, /5 \|\s+nme from log;/);
  t.regex(r.stderr, /\[1\/3\] 2024-01-01_first \.\.\. \d+ ms/);
  t.deepEqual(await statuses(url), { '2024-01-01_first': 'applied' });
  t.true(await exists(url, 'first_t'));
  t.false(await exists(url, 'middle_t'));
  t.false(await exists(url, 'third_t'));
  t.deepEqual(
    (await query(url, 'select name from log order by id')).rows.map((x) => x.name),
    ['first'],
  );

  // The same in JSON, for CI: the patch, what the record says, and the server's error with its place.
  const json = await pgpatch(p, url, 'migrate', ['--json']);
  t.is(json.code, 3);
  const { error } = JSON.parse(json.stdout);
  t.like(error, { code: 'patch_failed', patch: '2024-02-01_middle', stage: 'patch', recorded: 'nothing' });
  t.like(error.cause, { code: 'sql', server: { sqlstate: '42703', message: 'column "nme" does not exist' } });
  t.regex(error.cause.location.file, /schema\/patches\/2024-02-01_middle\.sql$/);
  t.like(error.cause.location, { line: 5, column: 3 });

  // A syntax error names line and column too.
  p.patch('2024-02-01_middle.sql', 'create table middle_t (id int);\n\n  selec 1;\n');
  const syntax = await pgpatch(p, url, 'migrate');
  t.is(syntax.code, 3, syntax.stderr);
  t.regex(syntax.stderr, /2024-02-01_middle\.sql:3:3: ERROR:  syntax error at or near "selec"/);
  t.false(await exists(url, 'middle_t'));

  // An error without a position still names file and line of the statement.
  p.patch('2024-02-01_middle.sql', 'create table middle_t (id int);\n\nselect 1/0;\n');
  const noPosition = await pgpatch(p, url, 'migrate');
  t.is(noPosition.code, 3);
  t.regex(noPosition.stderr, /2024-02-01_middle\.sql:3:1: ERROR:  division by zero/);
  t.deepEqual(await statuses(url), { '2024-01-01_first': 'applied' });

  p.patch('2024-02-01_middle.sql', 'create table middle_t (id int);\n');
  t.is((await pgpatch(p, url, 'migrate')).code, 0);
  t.deepEqual(await statuses(url), { '2024-01-01_first': 'applied', '2024-02-01_middle': 'applied', '2024-03-01_third': 'applied' });
});

test('kill -9 of migrate during a long transactional patch: nothing recorded, nothing changed; the next run applies it', async (t) => {
  const { p, url } = await setup(t);
  p.patch('2024-01-01_quick.sql', "insert into log (name) values ('quick');\n");
  p.patch('2024-02-01_long.sql', "create table long_t (id int);\ninsert into log (name) values ('long');\nselect pg_sleep(:sleep);\n");
  const { child, done } = startPgpatch(p, url, 'migrate', ['-v', 'sleep=30']);
  await migrateBackend(url);
  child.kill('SIGKILL');
  const r = await done;
  t.is(r.signal, 'SIGKILL');
  t.deepEqual(await statuses(url), { '2024-01-01_quick': 'applied' }, 'the long patch left no record');
  t.false(await exists(url, 'long_t'));
  t.deepEqual(
    (await query(url, 'select name from log order by id')).rows.map((x) => x.name),
    ['quick'],
  );

  // The dead client's backend may hold the lock a moment (until it notices the client is gone).
  const next = await pgpatch(p, url, 'migrate', ['-v', 'sleep=0', '--lock-timeout', '30']);
  t.is(next.code, 0, next.stderr);
  t.true(await exists(url, 'long_t'));
  t.deepEqual(await statuses(url), { '2024-01-01_quick': 'applied', '2024-02-01_long': 'applied' });
  t.deepEqual(
    (await query(url, 'select name from log order by id')).rows.map((x) => x.name),
    ['quick', 'long'],
  );
});

test('the server ends the session of migrate mid-patch: a clear error, nothing half-applied', async (t) => {
  const { p, url } = await setup(t);
  p.patch('2024-01-01_quick.sql', "insert into log (name) values ('quick');\n");
  p.patch('2024-02-01_long.sql', 'create table long_t (id int);\nselect pg_sleep(:sleep);\n');
  p.patch('2024-03-01_after.sql', 'create table after_t (id int);\n');
  const { done } = startPgpatch(p, url, 'migrate', ['-v', 'sleep=30']);
  const pid = await migrateBackend(url);
  await query(url, 'select pg_terminate_backend($1)', [pid]);
  const r = await done;
  t.is(r.code, 4, r.stderr);
  t.regex(
    r.stderr,
    /lost the connection to .* while applying patch 2024-02-01_long \(running its SQL\): FATAL:  terminating connection due to administrator command/,
  );
  t.regex(r.stderr, /hint: the server rolled it back: it is neither applied nor recorded/);
  t.deepEqual(await statuses(url), { '2024-01-01_quick': 'applied' });
  t.false(await exists(url, 'long_t'));
  t.false(await exists(url, 'after_t'));
  // The lock went with the session: the next run goes ahead at once.
  const next = await pgpatch(p, url, 'migrate', ['-v', 'sleep=0']);
  t.is(next.code, 0, next.stderr);
  t.deepEqual(await statuses(url), { '2024-01-01_quick': 'applied', '2024-02-01_long': 'applied', '2024-03-01_after': 'applied' });
});

test('the server ends the session during a non-transactional patch: recorded as interrupted, the next run refuses', async (t) => {
  const { p, url } = await setup(t);
  p.patch(
    '2024-01-01_nt.sql',
    '-- pgpatch: no-transaction\ncreate table part_one (id int);\nselect pg_sleep(:sleep);\ncreate table part_two (id int);\n',
  );
  const { done } = startPgpatch(p, url, 'migrate', ['-v', 'sleep=30']);
  const pid = await migrateBackend(url);
  await query(url, 'select pg_terminate_backend($1)', [pid]);
  const r = await done;
  t.is(r.code, 4, r.stderr);
  t.regex(r.stderr, /lost the connection .* while applying patch 2024-01-01_nt/);
  t.regex(r.stderr, /may be half-applied; its record says "applying".* --retry 2024-01-01_nt or --fake 2024-01-01_nt/);
  t.true(await exists(url, 'part_one'));
  t.false(await exists(url, 'part_two'));
  // It could not write 'failed' (the session was gone): the row it wrote before running says 'applying'.
  t.deepEqual(await statuses(url), { '2024-01-01_nt': 'applying/patch' });
  const show = await pgpatch(p, url, 'showmigrations');
  t.regex(show.stdout, /\[!\] 2024-01-01_nt\s+interrupted, in stage patch/);
  const next = await pgpatch(p, url, 'migrate', ['-v', 'sleep=0']);
  t.is(next.code, 2, next.stderr);
  t.regex(next.stderr, /was interrupted while running outside a transaction/);
  t.false(await exists(url, 'part_two'));
});

test('a patch that is not UTF-8: a clear error naming the file, exit 3, nothing recorded', async (t) => {
  const { p, url } = await setup(t);
  p.patch('2024-01-01_fine.sql', "insert into log (name) values ('fine');\n");
  p.patch(
    '2024-02-01_latin1.sql',
    Buffer.concat([Buffer.from("insert into log (name) values ('caf"), Buffer.from([0xe9]), Buffer.from("');\n")]),
  );
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, /not valid UTF-8 \(line 1, byte \d+\).*2024-02-01_latin1\.sql/);
  t.deepEqual(await statuses(url), {}, 'found before anything ran');
  t.deepEqual((await query(url, 'select name from log')).rows, []);
  // --plan reports it as well.
  const plan = await pgpatch(p, url, 'migrate', ['--plan']);
  t.is(plan.code, 3);
  t.regex(plan.stderr, /not valid UTF-8/);
});

test('a broken include in a later patch stops the run before the first patch is applied', async (t) => {
  const { p, url } = await setup(t);
  p.patch('2024-01-01_fine.sql', "insert into log (name) values ('fine');\n");
  p.patch('2024-02-01_incl.sql', '\\ir missing/data.sql\n');
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, /2024-02-01_incl\.sql:1:1: error: no such file/);
  t.deepEqual(await statuses(url), {});
  t.deepEqual((await query(url, 'select name from log')).rows, []);
});
