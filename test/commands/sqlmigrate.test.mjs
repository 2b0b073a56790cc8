// sqlmigrate: a patch as it is, by name or unique prefix; its hooks on stderr; --expand.
import test from 'ava';
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { showPatch, PatchLookupError } from 'pgpatch';
import { runCli } from '../helpers/cli.mjs';
import { plainProject } from '../helpers/gitdir.mjs';

const PATCH = '-- add isbn\nBEGIN;\nalter table book add isbn text;\n\\i ../lib/check.sql\nCOMMIT;\n';

function project(t) {
  const root = plainProject(t, {
    'schema/patches/2026-03-01_add_isbn.sql': PATCH,
    'schema/patches/2026-03-01_add_isbn.pre.sh': '#!/bin/sh\necho pre\n',
    'schema/patches/2026-03-01_add_isbn.post.sh': '#!/bin/sh\necho post\n',
    'schema/patches/2026-03-01_add_isbn_index.sql': 'create index on book (isbn);\n',
    'schema/patches/2026/02/2026-02-10_old.sql': 'select 1;\n',
    'schema/patches/2026-03-02_other.sql': 'select 2;\n',
    'schema/lib/check.sql': "-- a shared piece\nalter table book add constraint isbn_ck check (isbn ~ '^[0-9]{13}$');\n",
  });
  chmodSync(join(root, 'schema/patches/2026-03-01_add_isbn.pre.sh'), 0o755);
  return root;
}

test('full name: the bytes as they are on stdout, the hooks on stderr', async (t) => {
  const root = project(t);
  const r = await runCli(['sqlmigrate', '2026-03-01_add_isbn'], { cwd: root });
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, PATCH);
  t.regex(r.stderr, /^-- schema\/patches\/2026-03-01_add_isbn\.sql$/m);
  t.regex(r.stderr, /pre: schema\/patches\/2026-03-01_add_isbn\.pre\.sh$/m);
  t.regex(r.stderr, /post: schema\/patches\/2026-03-01_add_isbn\.post\.sh \(not executable/m);
});

test('an exact name wins over longer names it prefixes; .sql and folders are accepted', (t) => {
  const root = project(t);
  const dir = join(root, 'schema/patches');
  t.is(showPatch(dir, '2026-03-01_add_isbn').patch.name, '2026-03-01_add_isbn');
  t.is(showPatch(dir, 'schema/patches/2026-03-01_add_isbn.sql').patch.name, '2026-03-01_add_isbn');
  t.is(showPatch(dir, '2026-03-01_add_isbn_i').patch.name, '2026-03-01_add_isbn_index');
  t.is(showPatch(dir, '2026-02').patch.relativePath, join('2026', '02', '2026-02-10_old.sql'));
});

test('a unique prefix finds it, archived patches included', async (t) => {
  const root = project(t);
  const r = await runCli(['sqlmigrate', '2026-02'], { cwd: root });
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'select 1;\n');
});

test('an ambiguous prefix lists the candidates, exit 2', async (t) => {
  const root = project(t);
  const r = await runCli(['sqlmigrate', '2026-03'], { cwd: root });
  t.is(r.code, 2);
  t.is(r.stdout, '');
  t.regex(r.stderr, /"2026-03" matches 3 patches: 2026-03-01_add_isbn, 2026-03-01_add_isbn_index, 2026-03-02_other/);
  const json = await runCli(['sqlmigrate', '--json', '2026-03'], { cwd: root });
  t.deepEqual(JSON.parse(json.stdout).error.candidates, ['2026-03-01_add_isbn', '2026-03-01_add_isbn_index', '2026-03-02_other']);
});

test('nothing matches: exit 2 with a clear message; slashes cannot reach outside the folder', async (t) => {
  const root = project(t);
  const r = await runCli(['sqlmigrate', '2025'], { cwd: root });
  t.is(r.code, 2);
  t.regex(r.stderr, /no patch named "2025" or starting with it/);
  t.throws(() => showPatch(join(root, 'schema/patches'), '../../../etc/passwd'), { instanceOf: PatchLookupError });
  t.throws(() => showPatch(join(root, 'schema/patches'), ''), { instanceOf: PatchLookupError });
});

test('--expand: includes expanded, each statement after its file:line', async (t) => {
  const root = project(t);
  const r = await runCli(['sqlmigrate', '--expand', '2026-03-01_add_isbn'], { cwd: root });
  t.is(r.code, 0, r.stderr);
  t.is(
    r.stdout,
    [
      '-- schema/patches/2026-03-01_add_isbn.sql:2\nBEGIN;\n',
      '-- schema/patches/2026-03-01_add_isbn.sql:3\nalter table book add isbn text;\n',
      "-- schema/lib/check.sql:2\nalter table book add constraint isbn_ck check (isbn ~ '^[0-9]{13}$');\n",
      '-- schema/patches/2026-03-01_add_isbn.sql:5\nCOMMIT;\n',
    ].join('\n'),
  );
  // \i resolves against the patch's folder by default, as migrate does; --include-root changes that.
  const missing = await runCli(['sqlmigrate', '--expand', '--include-root', 'schema', '2026-03-01_add_isbn'], { cwd: root });
  t.is(missing.code, 3);
  t.regex(missing.stderr, /no such file/);
});

test('the patch file itself is untouched by --expand', async (t) => {
  const root = project(t);
  const r = await runCli(['sqlmigrate', '--expand', '2026-03-01_add_isbn'], { cwd: root });
  t.is(r.code, 0, r.stderr);
  t.is(readFileSync(join(root, 'schema/patches/2026-03-01_add_isbn.sql'), 'utf8'), PATCH);
});

test('it says how migrate will run the patch: its own transaction, ours, none, or refused; the bytes still print', async (t) => {
  const root = plainProject(t, {
    'schema/patches/2026-03-01_own.sql': 'BEGIN;\nalter table book add isbn text;\nCOMMIT;\n',
    'schema/patches/2026-03-02_plain.sql': 'create index on book (isbn);\n',
    'schema/patches/2026-03-03_echo.sql': 'create index on book (isbn);\n\\echo done\n',
    'schema/patches/2026-03-04_cic.sql': 'create index concurrently on book (isbn);\n',
    'schema/patches/2026-03-05_broken.sql': '\\i ../missing.sql\n',
    'schema/patches/2026-03-06_unfinished.sql': 'begin;\nselect 1;\n',
  });
  const runs = async (name) => {
    const r = await runCli(['sqlmigrate', name], { cwd: root });
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout, readFileSync(join(root, 'schema/patches', `${name}.sql`), 'utf8'), 'stdout is still the patch as it is');
    return /^-- {3}migrate runs it: (.*)$/m.exec(r.stderr)?.[1];
  };
  t.is(
    await runs('2026-03-01_own'),
    'in its own BEGIN ... COMMIT, its record row written just before the COMMIT, sent as one message with its record row',
  );
  t.is(await runs('2026-03-02_plain'), 'inside BEGIN ... COMMIT that pgpatch adds, sent as one message with its record row');
  t.is(await runs('2026-03-03_echo'), 'inside BEGIN ... COMMIT that pgpatch adds, statement by statement');
  t.regex(await runs('2026-03-04_cic'), /^outside a transaction \(has a statement that cannot run in a transaction\)/);
  t.regex(await runs('2026-03-05_broken'), /^never: it is refused \(.*missing\.sql/);
  t.regex(
    await runs('2026-03-06_unfinished'),
    /^never: it is refused \(patch 2026-03-06_unfinished opens a transaction with BEGIN and never commits it\)$/,
  );
  const asJson = await runCli(['sqlmigrate', '--json', '2026-03-04_cic'], { cwd: root });
  t.is(asJson.code, 0, asJson.stderr);
  const json = JSON.parse(asJson.stdout);
  t.deepEqual(json.run, { mode: 'none', reason: 'has a statement that cannot run in a transaction', oneMessage: false });
});
