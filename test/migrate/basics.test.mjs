// migrate and showmigrations on real databases: first run, baseline, order, target, --fake,
// --skip, --plan, --check, --json, and the upgrade of the reference script's table.
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mainServer, query, useDatabase } from '../helpers/database.mjs';
import { exists, initRecord, makeProject, pgpatch, record, statuses } from '../helpers/project.mjs';

useDatabase(test);

test.afterEach.always((t) => t.context.project?.cleanup());

const LOG = 'create table log (id serial primary key, name text not null);\n';
const logs = (name) => `insert into log (name) values ('${name}');\n`;
const logged = async (url) => (await query(url, 'select name from log order by id')).rows.map((r) => r.name);

test('first run on an empty database builds it from database.sql and records every patch as assumed', async (t) => {
  const p = (t.context.project = makeProject({
    database: 'create table base (id int);\ninsert into base values (1);\n',
    patches: { '2024-01-01_a.sql': 'create table a (id int);\n', '2024/2024-02-01_b.sql': 'create table b (id int);\n' },
  }));
  const { url } = t.context.db;
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /built the empty database .* recorded 2 patches as assumed/);
  t.is((await query(url, 'select count(*)::int as n from base')).rows[0].n, 1);
  // The schema files already contain what the patches did: the patches themselves did not run.
  t.false(await exists(url, 'a'));
  t.false(await exists(url, 'b'));
  const rows = await record(url);
  t.deepEqual(
    rows.map((x) => [x.name, x.status]),
    [
      ['2024-01-01_a', 'assumed'],
      ['2024-02-01_b', 'assumed'],
    ],
  );
  t.true(rows.every((x) => /^[0-9a-f]{64}$/.test(x.checksum)));
  // A second run has nothing to do.
  const again = await pgpatch(p, url, 'migrate');
  t.is(again.code, 0, again.stderr);
  t.regex(again.stderr, /0 applied/);
});

test('a first-run build that fails names the included file and line, and leaves the database empty', async (t) => {
  const p = (t.context.project = makeProject({
    database: 'create table base (id int);\n\\i more.sql\n',
    patches: { '2024-01-01_a.sql': 'create table a (id int);\n' },
  }));
  writeFileSync(join(p.dir, 'schema', 'more.sql'), "insert into base values (1);\n\ninsert into base values ('not a number');\n");
  const { url } = t.context.db;
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, /schema\/more\.sql:3:\d+: ERROR:  invalid input syntax for type integer: "not a number"/);
  t.false(await exists(url, 'base'), 'built in one transaction: nothing stays');
  t.is(await record(url), null);

  writeFileSync(join(p.dir, 'schema', 'more.sql'), 'insert into base values (1);\n');
  const fixed = await pgpatch(p, url, 'migrate');
  t.is(fixed.code, 0, fixed.stderr);
  t.is((await query(url, 'select count(*)::int as n from base')).rows[0].n, 1);
});

test('a database with objects but no record is refused, and baselined with --assume-applied', async (t) => {
  const p = (t.context.project = makeProject({
    database: 'create table base (id int);\n',
    patches: { '2024-01-01_a.sql': 'create table a (id int);\n', '2024-02-01_b.sql': 'create table b (id int);\n' },
  }));
  const { url } = t.context.db;
  // What the schema files make (--assume-applied compares first), with a row of its own.
  await query(url, 'create table base (id int); insert into base values (1)');
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, /--assume-applied/);
  t.is(await record(url), null, 'no record table was created');
  t.false(await exists(url, 'a'));

  const ok = await pgpatch(p, url, 'migrate', ['--assume-applied', '--scratch-url', mainServer().url]);
  t.is(ok.code, 0, ok.stderr);
  t.deepEqual(await statuses(url), { '2024-01-01_a': 'assumed', '2024-02-01_b': 'assumed' });
  t.is((await query(url, 'select count(*)::int as n from base')).rows[0].n, 1, 'database.sql is not run on a database that has objects');
  t.false(await exists(url, 'a'));
});

test('patches run in byte order of their file names, across archive folders', async (t) => {
  const p = (t.context.project = makeProject({ database: LOG }));
  const { url } = t.context.db;
  await initRecord(p, url);
  const names = ['2025-01-01~02_d', '2024/03/2024-03-05_a', '2024-03-01_b', '2025/2025-01-01_c', '2025-01-01_e', '2025/01/2025-01-01_Z'];
  for (const n of names) p.patch(`${n}.sql`, logs(n.split('/').pop()));
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 0, r.stderr);
  // Byte order: 'Z' (0x5A) before 'c', '_' (0x5F) before '~' (0x7E), whatever the folder.
  const expected = ['2024-03-01_b', '2024-03-05_a', '2025-01-01_Z', '2025-01-01_c', '2025-01-01_e', '2025-01-01~02_d'];
  t.deepEqual(await logged(url), expected);
  t.deepEqual(
    (await record(url)).map((x) => x.name),
    expected,
  );
  const show = await pgpatch(p, url, 'showmigrations');
  t.is(show.code, 0, show.stderr);
  t.deepEqual(
    show.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/)[1]),
    expected,
  );
});

test('the same patch name in two folders is an error listing both files', async (t) => {
  const p = (t.context.project = makeProject({ database: LOG }));
  const { url } = t.context.db;
  await initRecord(p, url);
  p.patch('2024-01-01_first.sql', logs('first'));
  p.patch('2024/2024-02-01_twice.sql', logs('twice'));
  p.patch('old/2024-02-01_twice.sql', logs('twice again'));
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, /2024-02-01_twice/);
  t.regex(r.stderr, /2024\/2024-02-01_twice\.sql/);
  t.regex(r.stderr, /old\/2024-02-01_twice\.sql/);
  t.deepEqual(await logged(url), [], 'nothing ran, not even the patch before');
  t.deepEqual(await statuses(url), {});
  const show = await pgpatch(p, url, 'showmigrations');
  t.is(show.code, 2);
  t.regex(show.stderr, /old\/2024-02-01_twice\.sql/);
});

test('a target name applies up to and including it; a unique prefix works too', async (t) => {
  const p = (t.context.project = makeProject({ database: LOG }));
  const { url } = t.context.db;
  await initRecord(p, url);
  for (const n of ['2024-01-01_a', '2024-02-01_b', '2024-03-01_c', '2024-04-01_d']) p.patch(`${n}.sql`, logs(n));
  const r = await pgpatch(p, url, 'migrate', ['2024-02-01_b']);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(await logged(url), ['2024-01-01_a', '2024-02-01_b']);
  t.regex(r.stderr, /2 still pending/);
  const prefix = await pgpatch(p, url, 'migrate', ['2024-03']);
  t.is(prefix.code, 0, prefix.stderr);
  t.deepEqual(await logged(url), ['2024-01-01_a', '2024-02-01_b', '2024-03-01_c']);
  const bad = await pgpatch(p, url, 'migrate', ['2030-01-01_nope']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /no patch named "2030-01-01_nope"/);
  const ambiguous = await pgpatch(p, url, 'migrate', ['2024']);
  t.is(ambiguous.code, 2);
  t.deepEqual(await logged(url), ['2024-01-01_a', '2024-02-01_b', '2024-03-01_c']);
});

test('--fake records a patch as applied without running it; --skip records it skipped forever; both run nothing else', async (t) => {
  const p = (t.context.project = makeProject({ database: LOG }));
  const { url } = t.context.db;
  await initRecord(p, url);
  for (const n of ['2024-01-01_a', '2024-02-01_b', '2024-03-01_c']) p.patch(`${n}.sql`, logs(n));
  const r = await pgpatch(p, url, 'migrate', ['--fake', '2024-01-01_a', '--skip', '2024-02-01_b.sql']);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(await logged(url), []);
  t.deepEqual(await statuses(url), { '2024-01-01_a': 'applied', '2024-02-01_b': 'skipped' });
  t.regex(r.stderr, /0 applied, 1 recorded as applied without running \(--fake\), 1 skipped forever, 1 still pending/);
  const show = await pgpatch(p, url, 'showmigrations');
  t.regex(show.stdout, /\[X\] 2024-01-01_a/);
  t.regex(show.stdout, /\[S\] 2024-02-01_b .*skipped forever/);
  // Skipped stays skipped.
  const again = await pgpatch(p, url, 'migrate');
  t.is(again.code, 0, again.stderr);
  t.deepEqual(await logged(url), ['2024-03-01_c']);
  const unknown = await pgpatch(p, url, 'migrate', ['--fake', '2099-01-01_nope']);
  t.is(unknown.code, 2);
  t.regex(unknown.stderr, /--fake 2099-01-01_nope: no patch named "2099-01-01_nope"/);
});

test('--plan and --dry-run change nothing: no record table, no objects', async (t) => {
  const p = (t.context.project = makeProject({
    database: 'create table base (id int);\n',
    patches: { '2024-01-01_a.sql': 'create table a (id int);\n' },
  }));
  const { url } = t.context.db;
  for (const flag of ['--plan', '--dry-run']) {
    const r = await pgpatch(p, url, 'migrate', [flag]);
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout, /would build the empty database .* record 1 patches as assumed/);
  }
  t.is(await record(url), null);
  t.false(await exists(url, 'base'));

  // With a record and pending patches: listed, not applied, not recorded.
  await pgpatch(p, url, 'migrate');
  p.patch('2024-02-01_b.sql', 'create table b (id int);\n');
  p.patch('2024-03-01_c.sql', 'create index concurrently c_idx on base (id);\n');
  const before = await record(url);
  const r = await pgpatch(p, url, 'migrate', ['--plan']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /would apply 2024-02-01_b\s+\[run in a transaction by pgpatch\]/);
  t.regex(r.stdout, /would apply 2024-03-01_c\s+\[has a statement that cannot run in a transaction\]/);
  t.false(await exists(url, 'b'));
  t.false(await exists(url, 'c_idx'));
  t.deepEqual(await record(url), before);
});

test('--check exits 1 with pending patches and 0 without, and applies nothing', async (t) => {
  const p = (t.context.project = makeProject({ database: LOG, patches: { '2024-01-01_a.sql': logs('2024-01-01_a') } }));
  const { url } = t.context.db;
  const noRecord = await pgpatch(p, url, 'migrate', ['--check']);
  t.is(noRecord.code, 1, 'a database without a record has something to do');
  t.is(await record(url), null);
  await pgpatch(p, url, 'migrate');
  t.is((await pgpatch(p, url, 'migrate', ['--check'])).code, 0);
  p.patch('2024-02-01_b.sql', logs('2024-02-01_b'));
  const pending = await pgpatch(p, url, 'migrate', ['--check']);
  t.is(pending.code, 1);
  t.regex(pending.stdout, /would apply 2024-02-01_b/);
  t.deepEqual(await logged(url), []);
  t.is((await pgpatch(p, url, 'migrate')).code, 0);
  t.deepEqual(await logged(url), ['2024-02-01_b']);
  t.is((await pgpatch(p, url, 'migrate', ['--check'])).code, 0);
});

test('--json output of migrate and showmigrations parses and matches the record', async (t) => {
  const p = (t.context.project = makeProject({ database: LOG }));
  const { url } = t.context.db;
  await initRecord(p, url);
  p.patch('2024-01-01_a.sql', logs('a'));
  p.patch('2024/2024-02-01_b.sql', "begin;\ninsert into log (name) values ('b');\ncommit;\n");
  p.patch('2024-03-01_c.sql', logs('c'));
  // --skip records only (nothing else runs); the run after it applies the rest.
  const skip = await pgpatch(p, url, 'migrate', ['--json', '--skip', '2024-03-01_c']);
  t.is(skip.code, 0, skip.stderr);
  t.deepEqual(
    JSON.parse(skip.stdout).outcomes.map((o) => [o.name, o.status]),
    [['2024-03-01_c', 'skipped']],
  );
  const r = await pgpatch(p, url, 'migrate', ['--json']);
  t.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.is(out.dryRun, false);
  t.deepEqual(
    out.outcomes.map((o) => [o.name, o.status, o.mode ?? null]),
    [
      ['2024-01-01_a', 'applied', 'wrapped'],
      ['2024-02-01_b', 'applied', 'own'],
    ],
  );
  t.is(out.outcomes.find((o) => o.name === '2024-02-01_b').file, '2024/2024-02-01_b.sql');
  t.true(out.outcomes.filter((o) => o.status === 'applied').every((o) => Number.isInteger(o.durationMs)));
  t.deepEqual(out.pending, []);
  const rec = await statuses(url);
  for (const o of out.outcomes) t.is(rec[o.name], 'applied');
  t.is(rec['2024-03-01_c'], 'skipped');

  p.patch('2024-04-01_d.sql', logs('d'));
  const show = await pgpatch(p, url, 'showmigrations', ['--json']);
  t.is(show.code, 0, show.stderr);
  const s = JSON.parse(show.stdout);
  t.true(s.hasRecord);
  t.deepEqual(
    s.patches.map((x) => [x.name, x.state]),
    [
      ['2024-01-01_a', 'applied'],
      ['2024-02-01_b', 'applied'],
      ['2024-03-01_c', 'skipped'],
      ['2024-04-01_d', 'pending'],
    ],
  );
  const rows = await record(url);
  for (const row of rows) t.is(s.patches.find((x) => x.name === row.name).date, row.status_date.toISOString());
  t.false('details' in s.patches[0], 'who and how long only with --verbose');

  // --verbose: who applied each patch, from where, how long it took (from the record).
  const verbose = await pgpatch(p, url, 'showmigrations', ['--verbose']);
  t.regex(verbose.stdout, /^\[X\] 2024-01-01_a\s+applied, [\d-]+ [\d:]+, by postgres \(pgpatch migrate on [^)]+\), \d+ ms$/m);
  t.regex(verbose.stdout, /^\[ \] 2024-04-01_d\s+pending$/m);
  const vj = JSON.parse((await pgpatch(p, url, 'showmigrations', ['--json', '--verbose'])).stdout);
  const a = rows.find((x) => x.name === '2024-01-01_a');
  t.deepEqual(vj.patches[0].details, { appliedBy: a.applied_by, applicationName: a.application_name, durationMs: a.duration_ms });

  const plan = await pgpatch(p, url, 'migrate', ['--plan', '--json']);
  t.is(plan.code, 0, plan.stderr);
  const pl = JSON.parse(plan.stdout);
  t.true(pl.dryRun);
  t.deepEqual(
    pl.outcomes.map((o) => [o.name, o.status]),
    [['2024-04-01_d', 'would_apply']],
  );

  const failed = await pgpatch(p, url, 'migrate', ['--json', '2099']);
  t.is(failed.code, 2);
  t.is(JSON.parse(failed.stdout).error.code, 'patch_lookup');
});

test('showmigrations on a database without a record: everything pending, and it says so', async (t) => {
  const p = (t.context.project = makeProject({
    patches: { '2024-01-01_a.sql': 'create table a (id int);\n', '2024/2024-02-01_b.sql': 'create table b (id int);\n' },
  }));
  const { url } = t.context.db;
  const r = await pgpatch(p, url, 'showmigrations');
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /has no public\.schema_patch record yet: every patch is pending/);
  t.regex(r.stdout, /\[ \] 2024-01-01_a\s+pending/);
  t.regex(r.stdout, /\[ \] 2024-02-01_b\s+pending/);
  t.is(await record(url), null, 'showmigrations creates nothing');
  const j = JSON.parse((await pgpatch(p, url, 'showmigrations', ['--json'])).stdout);
  t.false(j.hasRecord);
  t.deepEqual(
    j.patches.map((x) => x.state),
    ['pending', 'pending'],
  );
});

test("the reference script's schema_patch table is upgraded in place", async (t) => {
  const p = (t.context.project = makeProject({
    patches: {
      '2024-01-01_a.sql': 'create table a (id int);\n',
      '2024-02-01_b.sql': 'create table b (id int);\n',
      '2024-03-01_c.sql': 'create table c (id int);\n',
    },
  }));
  const { url } = t.context.db;
  await query(
    url,
    `create table schema_patch (name text primary key, status text not null, status_date timestamptz not null default now());
    insert into schema_patch (name, status, status_date) values ('2024-01-01_a', 'applied', '2024-01-02'), ('2024-02-01_b.sql', 'applied', '2024-02-02');
    create table a (id int); create table b (id int);`,
  );
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 0, r.stderr);
  t.true(await exists(url, 'c'));
  const cols = (
    await query(url, `select attname from pg_attribute where attrelid = 'schema_patch'::regclass and attnum > 0 and not attisdropped`)
  ).rows.map((x) => x.attname);
  for (const c of ['name', 'status', 'status_date', 'stage', 'checksum']) t.true(cols.includes(c), c);
  const rows = await record(url);
  t.deepEqual(
    rows.map((x) => [x.name, x.status]),
    [
      ['2024-01-01_a', 'applied'],
      ['2024-02-01_b.sql', 'applied'],
      ['2024-03-01_c', 'applied'],
    ],
  );
  t.is(rows[0].status_date.toISOString(), new Date('2024-01-02').toISOString(), 'old rows keep their dates');
  t.regex(rows[2].checksum, /^[0-9a-f]{64}$/);
  const show = await pgpatch(p, url, 'showmigrations');
  t.regex(show.stdout, /\[X\] 2024-02-01_b/, 'names kept with .sql by the old script still count');
  t.notRegex(show.stdout, /\[ \]/);
});
