// Patch files themselves: edited after apply, odd names, empty patches.
import test from 'ava';
import { query, useDatabase } from '../helpers/database.mjs';
import { exists, pgpatch, projectWithRecord, record, statuses } from '../helpers/project.mjs';

useDatabase(test);

test.afterEach.always((t) => t.context.project?.cleanup());

const setup = (t) => projectWithRecord(t);

test('a patch edited after it was applied: showmigrations marks it [E], migrate warns, --strict refuses', async (t) => {
  const { p, url } = await setup(t);
  p.patch('2024-01-01_a.sql', 'create table a (id int);\n');
  p.patch('2024-02-01_b.sql', 'create table b (id int);\n');
  t.is((await pgpatch(p, url, 'migrate')).code, 0);
  const before = await record(url);
  p.patch('2024-01-01_a.sql', 'create table a (id int, extra text);\n');
  p.patch('2024-03-01_c.sql', 'create table c (id int);\n');

  const show = await pgpatch(p, url, 'showmigrations');
  t.is(show.code, 0, show.stderr);
  t.regex(show.stdout, /\[E\] 2024-01-01_a\s+applied, .*file edited since it was applied/);
  t.regex(show.stdout, /\[X\] 2024-02-01_b/);
  t.regex(show.stdout, /\[ \] 2024-03-01_c/);
  t.true(JSON.parse((await pgpatch(p, url, 'showmigrations', ['--json'])).stdout).patches[0].edited);

  const strict = await pgpatch(p, url, 'migrate', ['--strict']);
  t.not(strict.code, 0);
  t.is(strict.code, 2, strict.stderr);
  t.regex(strict.stderr, /patches edited after they were applied: 2024-01-01_a/);
  t.false(await exists(url, 'c'), '--strict applies nothing');

  const r = await pgpatch(p, url, 'migrate', ['--json']);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(JSON.parse(r.stdout).edited, ['2024-01-01_a']);
  const text = await pgpatch(p, url, 'migrate');
  t.regex(text.stderr, /warning: patch 2024-01-01_a was edited after it was applied/);
  t.true(await exists(url, 'c'));
  // The edit is reported, never applied, and the record keeps the checksum of what ran.
  t.is((await query(url, "select count(*)::int as n from pg_attribute where attrelid = 'a'::regclass and attname = 'extra'")).rows[0].n, 0);
  const after = await record(url);
  t.is(after.find((x) => x.name === '2024-01-01_a').checksum, before.find((x) => x.name === '2024-01-01_a').checksum);

  p.patch('2024-01-01_a.sql', 'create table a (id int);\n');
  t.notRegex((await pgpatch(p, url, 'showmigrations')).stdout, /\[E\]/, 'restoring the file clears the mark');
});

test('a new patch that sorts before applied ones: shown, warned about, applied after them; --strict refuses', async (t) => {
  const { p, url } = await setup(t);
  p.patch('2024-01-01_a.sql', "insert into log (name) values ('a');\n");
  p.patch('2024-03-01_c.sql', "insert into log (name) values ('c');\n");
  t.is((await pgpatch(p, url, 'migrate')).code, 0);
  // A branch merged late: its patch is dated before c, which production already has.
  p.patch('2024-02-01_b.sql', "insert into log (name) values ('b');\n");
  p.patch('2024-04-01_d.sql', "insert into log (name) values ('d');\n");

  const show = await pgpatch(p, url, 'showmigrations');
  t.regex(show.stdout, /\[ \] 2024-02-01_b\s+pending, out of order: sorts before 2024-03-01_c, already applied/);
  t.regex(show.stdout, /\[ \] 2024-04-01_d\s+pending$/m);
  const json = JSON.parse((await pgpatch(p, url, 'showmigrations', ['--json'])).stdout);
  t.is(json.patches.find((x) => x.name === '2024-02-01_b').sortsBefore, '2024-03-01_c');
  t.is(json.patches.find((x) => x.name === '2024-04-01_d').sortsBefore, null);

  const plan = await pgpatch(p, url, 'migrate', ['--plan']);
  t.regex(plan.stdout, /warning: patch 2024-02-01_b sorts before 2024-03-01_c, which was already applied: it would run out of order/);
  t.notRegex(plan.stdout, /patch 2024-04-01_d sorts/);

  const strict = await pgpatch(p, url, 'migrate', ['--strict']);
  t.is(strict.code, 2, strict.stderr);
  t.regex(strict.stderr, /a patch sorts before patches already applied: 2024-02-01_b \(before 2024-03-01_c\)/);
  t.regex(strict.stderr, /2024-02-01_b\.sql/);
  t.deepEqual(
    (await query(url, 'select name from log order by id')).rows.map((x) => x.name),
    ['a', 'c'],
    '--strict applies nothing',
  );

  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /warning: patch 2024-02-01_b sorts before 2024-03-01_c, which was already applied: it ran out of order/);
  t.deepEqual(
    (await query(url, 'select name from log order by id')).rows.map((x) => x.name),
    ['a', 'c', 'b', 'd'],
  );
  t.notRegex((await pgpatch(p, url, 'showmigrations')).stdout, /out of order/, 'once applied, it is history');
  t.is(JSON.parse((await pgpatch(p, url, 'migrate', ['--json'])).stdout).outOfOrder.length, 0);
});

test('names with spaces, quotes and non-ASCII letters', async (t) => {
  const { p, url } = await setup(t);
  const names = [
    '2024-01-01 with spaces',
    `2024-02-01_l'apostrophe "and" quotes`,
    '2024-03-01_café_ñandú_日本',
    '2024-04-01_$(touch pwned)',
    "2024-04-02_back\\slash \\' $1",
  ];
  for (const n of names) p.patch(`${n}.sql`, `insert into log (name) values ($q$${n}$q$);\n`);
  p.script(`${names[1]}.post.sh`, 'printf %s "$PATCH_NAME" > post-saw-name.txt');
  const plan = await pgpatch(p, url, 'migrate', ['--plan']);
  t.is(plan.code, 0, plan.stderr);
  for (const n of names) t.true(plan.stdout.includes(`would apply ${n}`), n);
  const r = await pgpatch(p, url, 'migrate', [names[2]]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(
    (await query(url, 'select name from log order by id')).rows.map((x) => x.name),
    names.slice(0, 3),
  );
  const rest = await pgpatch(p, url, 'migrate');
  t.is(rest.code, 0, rest.stderr);
  t.deepEqual(await statuses(url), Object.fromEntries(names.map((n) => [n, 'applied'])));
  const { readFileSync, existsSync } = await import('node:fs');
  t.is(readFileSync(`${p.patchesDir}/post-saw-name.txt`, 'utf8'), names[1]);
  t.false(existsSync(`${p.patchesDir}/pwned`));
  const show = await pgpatch(p, url, 'showmigrations');
  for (const n of names) t.true(show.stdout.includes(`[X] ${n}`), n);
  // Such names work with --fake and --skip too.
  const odd = `2024-05-01_ünïcode "fake"`;
  p.patch(`${odd}.sql`, 'select 1/0;\n');
  const fake = await pgpatch(p, url, 'migrate', ['--fake', odd]);
  t.is(fake.code, 0, fake.stderr);
  t.is((await statuses(url))[odd], 'applied');
});

test('an empty patch, and one with only comments, are recorded applied', async (t) => {
  const { p, url } = await setup(t);
  p.patch('2024-01-01_empty.sql', '');
  p.patch('2024-02-01_comments.sql', '-- nothing to do here\n/* really */\n');
  p.patch('2024-03-01_real.sql', 'create table real_one (id int);\n');
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 0, r.stderr);
  t.deepEqual(await statuses(url), { '2024-01-01_empty': 'applied', '2024-02-01_comments': 'applied', '2024-03-01_real': 'applied' });
  t.true(await exists(url, 'real_one'));
  const rows = await record(url);
  // sha256 of nothing.
  t.is(rows[0].checksum, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});
