// makemigrations: names, templates, diffs, --check, and life without git. Real repositories.
import test from 'ava';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeMigration, slugify, nextPatchName, localDate, commentLines, compileScript, TemplateError, UsageError } from 'pgpatch';
import { runCli } from '../helpers/cli.mjs';
import { commitAll, git, gitProject, pathWithoutGit, plainProject, writeFiles } from '../helpers/gitdir.mjs';

const SCHEMA = {
  'schema/database.sql': '\\i users.sql\n\\i app.sql\n',
  'schema/users.sql': '-- roles\n',
  'schema/app.sql': 'create table book (id int);\n',
  'schema/patches/.gitkeep': '',
};
const DAY = new Date(2026, 2, 14, 23, 59); // local time: 2026-03-14

function dirs(root) {
  return { schemaDir: join(root, 'schema'), patchesDir: join(root, 'schema/patches'), projectDir: root };
}

function patchNames(root) {
  return readdirSync(join(root, 'schema/patches'))
    .filter((f) => f.endsWith('.sql'))
    .sort();
}

function byteSorted(names) {
  return [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

test('slugify: lower case, ASCII-folded, only [a-z0-9_], bounded', (t) => {
  t.is(slugify('Add Book ISBN'), 'add_book_isbn');
  t.is(slugify('Ärger über Öl, Straße & Œuvre'), 'arger_uber_ol_strasse_oeuvre');
  t.is(slugify('../../etc/passwd'), 'etc_passwd');
  t.is(slugify('.hidden.sql'), 'hidden_sql');
  t.is(slugify('a\\b/c:d*e?f"g<h>i|j'), 'a_b_c_d_e_f_g_h_i_j');
  t.is(slugify('$(rm -rf ~); `x`'), 'rm_rf_x');
  t.is(slugify('ﬁle ① ２'), 'file_1_2');
  t.is(slugify('line\nbreak\ttab'), 'line_break_tab');
  t.is(slugify('日本語'), '');
  t.is(slugify('...'), '');
  const long = slugify('word '.repeat(100));
  t.true(long.length <= 60);
  t.false(long.endsWith('_'));
});

test("nextPatchName: ~02, ~03... sort after the day's patches", (t) => {
  t.is(nextPatchName([], '2026-03-14', 'a'), '2026-03-14_a');
  t.is(nextPatchName(['2026-03-13_z'], '2026-03-14', 'a'), '2026-03-14_a');
  t.is(nextPatchName(['2026-03-14_zzz'], '2026-03-14', 'a'), '2026-03-14~02_a');
  t.is(nextPatchName(['2026-03-14_x', '2026-03-14~02_y'], '2026-03-14', 'a'), '2026-03-14~03_a');
  t.is(nextPatchName(['2026-03-14~09_y'], '2026-03-14', 'a'), '2026-03-14~10_a');
  const existing = ['2026-03-14_zzz', '2026-03-14~02_zz', '2026-03-14~09_z'];
  const next = nextPatchName(existing, '2026-03-14', 'aaa');
  t.deepEqual(byteSorted([...existing, next]).at(-1), next);
  t.throws(() => nextPatchName(['2026-03-14~9_hand_made'], '2026-03-14', 'a'), { instanceOf: UsageError, message: /sort before/ });
  t.throws(() => nextPatchName(['2026-03-14~99_x'], '2026-03-14', 'a'), { instanceOf: UsageError });
});

test('commentLines: every line commented, CR cannot end a comment early', (t) => {
  const text = commentLines('a\r\nb\rdrop table x;\n\nc\n');
  t.is(text, '-- a\n-- b\n-- drop table x;\n--\n-- c');
  t.true(text.split('\n').every((l) => l.startsWith('--')));
});

test('three patches on one day: _, ~02, ~03, in the order written', async (t) => {
  const root = gitProject(t, SCHEMA);
  const names = [];
  for (const n of ['zeta', 'beta', 'alpha']) names.push((await makeMigration({ ...dirs(root), name: n, now: DAY, empty: true })).name);
  t.deepEqual(names, ['2026-03-14_zeta', '2026-03-14~02_beta', '2026-03-14~03_alpha']);
  t.deepEqual(byteSorted(names), names);
});

test("patches in archive folders count for the day's numbering", async (t) => {
  const root = gitProject(t, { ...SCHEMA, 'schema/patches/2026/03/2026-03-14_archived.sql': 'select 1;\n' });
  const r = await makeMigration({ ...dirs(root), name: 'later', now: DAY, empty: true });
  t.is(r.name, '2026-03-14~02_later');
});

test('the patch: header, diff as comments, BEGIN/COMMIT body, and it parses as a script', async (t) => {
  const root = gitProject(t, SCHEMA);
  writeFiles(root, { 'schema/app.sql': 'create table book (id int, isbn text);\n' });
  const r = await makeMigration({ ...dirs(root), name: 'Add ISBN to books', now: DAY });
  t.true(r.written);
  t.is(r.name, '2026-03-14_add_isbn_to_books');
  const text = readFileSync(r.path, 'utf8');
  t.is(text, r.content);
  t.regex(text, /^-- Add ISBN to books\n/);
  t.regex(text, /-- Author: {2}Ann Example <ann@example\.org>/);
  t.regex(text, /-- Date: {4}2026-03-14/);
  t.regex(text, /^-- \+create table book \(id int, isbn text\);$/m);
  t.regex(text, /^BEGIN;$/m);
  t.regex(text, /^COMMIT;$/m);
  // Only BEGIN and COMMIT are statements: the whole diff stayed in comments.
  const steps = compileScript(r.path).steps.map((s) => s.text);
  t.deepEqual(steps, ['BEGIN;', 'COMMIT;']);
  t.deepEqual(
    r.diff.files.map((f) => f.path),
    ['schema/app.sql'],
  );
});

test('a description with line breaks cannot escape its comment', async (t) => {
  const root = gitProject(t, SCHEMA);
  const r = await makeMigration({ ...dirs(root), name: 'fix\ndrop table book;\r--', now: DAY, empty: true });
  t.deepEqual(
    compileScript(r.path).steps.map((s) => s.text),
    ['BEGIN;', 'COMMIT;'],
  );
});

test('CLI: names with slashes, dots and unicode land in the patches folder; an empty slug is exit 2', async (t) => {
  const root = gitProject(t, SCHEMA);
  const a = await runCli(['makemigrations', '--empty', '../../Ünïcode/..'], { cwd: root });
  t.is(a.code, 0, a.stderr);
  t.regex(a.stdout.trim(), /^schema\/patches\/\d{4}-\d\d-\d\d_unicode\.sql$/);
  t.true(existsSync(join(root, a.stdout.trim())));
  const b = await runCli(['makemigrations', '--empty', '…/..'], { cwd: root });
  t.is(b.code, 2);
  t.regex(b.stderr, /no letters or digits/);
  const c = await runCli(['makemigrations'], { cwd: root });
  t.is(c.code, 2);
  t.deepEqual(patchNames(root).length, 1);
});

test('names in Cyrillic, Chinese, Japanese and Greek are transliterated; the header keeps them as written', async (t) => {
  const root = gitProject(t, SCHEMA);
  for (const [name, slug] of [
    ['Добавить ISBN', 'dobavit_isbn'],
    ['添加书号', 'tian_jia_shu_hao'],
    ['テスト', 'te_su_to'],
    ['Ελληνικά', 'ellinika'],
  ]) {
    const r = await runCli(['makemigrations', '--empty', name], { cwd: root });
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout.trim(), new RegExp(`^schema/patches/\\d{4}-\\d\\d-\\d\\d(~\\d\\d)?_${slug}\\.sql$`), name);
    t.true(readFileSync(join(root, r.stdout.trim()), 'utf8').startsWith(`-- ${name}\n`), name);
  }
});

test('--dry-run prints the patch and writes nothing', async (t) => {
  const root = gitProject(t, SCHEMA);
  writeFiles(root, { 'schema/app.sql': 'create table book (id bigint);\n' });
  const r = await runCli(['makemigrations', '--dry-run', 'widen id'], { cwd: root });
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^-- widen id\n/);
  t.regex(r.stdout, /-- \+create table book \(id bigint\);/);
  t.regex(r.stderr, /would write schema\/patches\/\d{4}-\d\d-\d\d_widen_id\.sql/);
  t.deepEqual(patchNames(root), []);
});

test('--empty: no diff although schema files changed', async (t) => {
  const root = gitProject(t, SCHEMA);
  writeFiles(root, { 'schema/app.sql': 'create table book (id bigint);\n' });
  const r = await makeMigration({ ...dirs(root), name: 'data fix', now: DAY, empty: true });
  t.is(r.diff, null);
  t.is(r.noDiff, 'empty-flag');
  t.notRegex(r.content, /bigint/);
  t.regex(r.content, /no diff: --empty/);
});

test('--base: a feature branch against main; a base that does not exist is exit 2', async (t) => {
  const root = gitProject(t, SCHEMA);
  git(root, 'checkout', '-q', '-b', 'feature');
  writeFiles(root, { 'schema/app.sql': 'create table book (id int, title text);\n' });
  commitAll(root, 'title');
  const r = await runCli(['makemigrations', '--dry-run', '--base', 'main', 'add title'], { cwd: root });
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /merge base with main/);
  t.regex(r.stdout, /-- \+create table book \(id int, title text\);/);
  const bad = await runCli(['makemigrations', '--base', 'origin/nope', 'x'], { cwd: root });
  t.is(bad.code, 2);
  t.regex(bad.stderr, /unknown git ref "origin\/nope"/);
  t.regex(bad.stderr, /hint: .*git fetch origin nope/);
  t.deepEqual(patchNames(root), []);
});

test('a detached HEAD works', async (t) => {
  const root = gitProject(t, SCHEMA);
  git(root, 'checkout', '-q', '--detach');
  writeFiles(root, { 'schema/users.sql': '-- roles\n-- more\n' });
  const r = await makeMigration({ ...dirs(root), name: 'x', now: DAY });
  t.regex(r.content, /^-- \+-- more$/m);
});

test('a repository without commits: the schema files are new', async (t) => {
  const root = gitProject(t, SCHEMA, { commit: false });
  const r = await makeMigration({ ...dirs(root), name: 'first', now: DAY });
  t.regex(r.content, /against an empty repository/);
  t.regex(r.content, /^-- \+create table book \(id int\);$/m);
});

test('outside git: a note, and the stub is still written', async (t) => {
  const root = plainProject(t, SCHEMA);
  const r = await runCli(['makemigrations', 'no git here'], { cwd: root });
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /not inside a git work tree, so the patch has no diff/);
  const text = readFileSync(join(root, r.stdout.trim()), 'utf8');
  t.regex(text, /no diff: not in a git work tree/);
  t.regex(text, /^BEGIN;$/m);
  const check = await runCli(['makemigrations', '--check'], { cwd: root });
  t.is(check.code, 2);
  t.regex(check.stderr, /--check needs git/);
  const base = await runCli(['makemigrations', '--base', 'main', 'x'], { cwd: root });
  t.is(base.code, 2);
});

test('git not installed: a note, and the stub is still written', async (t) => {
  const root = gitProject(t, SCHEMA);
  const env = { PATH: pathWithoutGit(t) };
  const r = await runCli(['makemigrations', 'no git binary'], { cwd: root, env });
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /git is not installed/);
  t.true(existsSync(join(root, r.stdout.trim())));
  const check = await runCli(['makemigrations', '--check'], { cwd: root, env });
  t.is(check.code, 2);
});

test('--check: exit 1 naming the files without a new patch, exit 0 with one', async (t) => {
  const root = gitProject(t, SCHEMA);
  t.is((await runCli(['makemigrations', '--check', '--base', 'main'], { cwd: root })).code, 0);
  git(root, 'checkout', '-q', '-b', 'feature');
  writeFiles(root, { 'schema/app.sql': 'create table book (id int, title text);\n' });
  commitAll(root, 'title');
  const no = await runCli(['makemigrations', '--check', '--base', 'main'], { cwd: root });
  t.is(no.code, 1);
  t.is(no.stdout, 'schema/app.sql\n');
  t.regex(no.stderr, /changed against main without a new patch/);
  // Uncommitted check (no --base): the change is committed, so nothing is pending.
  t.is((await runCli(['makemigrations', '--check'], { cwd: root })).code, 0);
  // An untracked new patch is enough locally...
  const made = await runCli(['makemigrations', '--empty', 'add title'], { cwd: root });
  t.is((await runCli(['makemigrations', '--check', '--base', 'main'], { cwd: root })).code, 0);
  // ...and committed, in CI.
  commitAll(root, 'patch');
  const yes = await runCli(['makemigrations', '--check', '--base', 'main', '--json'], { cwd: root });
  t.is(yes.code, 0);
  const json = JSON.parse(yes.stdout);
  t.true(json.ok);
  t.deepEqual(
    json.newPatches.map((f) => f.path),
    [made.stdout.trim()],
  );
});

test('--check: moving old patches around is not a new patch', async (t) => {
  const root = gitProject(t, { ...SCHEMA, 'schema/patches/2024-01-02_old.sql': 'select 1;\n' });
  git(root, 'checkout', '-q', '-b', 'feature');
  git(root, 'mv', 'schema/patches/2024-01-02_old.sql', 'schema/patches/2024-01-02_older.sql');
  writeFiles(root, { 'schema/app.sql': 'create table book (id int, title text);\n' });
  commitAll(root, 'rename and change');
  const r = await runCli(['makemigrations', '--check', '--base', 'main'], { cwd: root });
  t.is(r.code, 1);
});

test('--check: a new pre/post script alone is not a new patch', async (t) => {
  const root = gitProject(t, { ...SCHEMA, 'schema/patches/2024-01-02_old.sql': 'select 1;\n' });
  writeFiles(root, { 'schema/app.sql': 'create table book (id int, n int);\n', 'schema/patches/2024-01-02_old.post.sh': '#!/bin/sh\n' });
  const r = await runCli(['makemigrations', '--check'], { cwd: root });
  t.is(r.code, 1);
  t.regex(r.stdout, /schema\/app\.sql/);
});

test('template: <schema-dir>/patch-template.sql, then --template; unknown placeholders are errors', async (t) => {
  const root = gitProject(t, SCHEMA);
  writeFiles(root, { 'schema/patch-template.sql': '-- {{ name }} by {{author}}\n{{diff}}\nbegin;\ncommit;\n' });
  const team = await makeMigration({ ...dirs(root), name: 'team', now: DAY, empty: true });
  t.is(team.template.source, 'schema-dir');
  t.is(team.content, '-- 2026-03-14_team by Ann Example <ann@example.org>\n-- (no diff: --empty)\nbegin;\ncommit;\n');
  writeFiles(root, { 'mine.sql': '-- {{description}} {{nope}} {{name}}\n' });
  await t.throwsAsync(() => makeMigration({ ...dirs(root), name: 'mine', now: DAY, template: join(root, 'mine.sql') }), {
    instanceOf: TemplateError,
    message: /unknown placeholder \{\{nope\}\}/,
  });
  const missing = await runCli(['makemigrations', '--template', 'nowhere.sql', 'x'], { cwd: root });
  t.is(missing.code, 2);
  t.regex(missing.stderr, /patch template .*nowhere\.sql: no such file/);
  t.deepEqual(patchNames(root), ['2026-03-14_team.sql']);
});

test('never overwrites: runs at the same moment get different names', async (t) => {
  const root = gitProject(t, SCHEMA);
  const runs = await Promise.all([1, 2, 3, 4].map(() => runCli(['makemigrations', '--empty', 'same name'], { cwd: root })));
  t.deepEqual(
    runs.map((r) => r.code),
    [0, 0, 0, 0],
    runs.map((r) => r.stderr).join(''),
  );
  const names = patchNames(root);
  t.is(names.length, 4);
  t.is(new Set(runs.map((r) => r.stdout.trim())).size, 4);
  const day = names[0].slice(0, 10);
  t.deepEqual(names, [`${day}_same_name.sql`, `${day}~02_same_name.sql`, `${day}~03_same_name.sql`, `${day}~04_same_name.sql`]);
});

test('an existing file of the same name is never replaced', async (t) => {
  const root = gitProject(t, SCHEMA);
  const today = localDate();
  writeFileSync(join(root, 'schema/patches', `${today}_x.sql`), 'keep me\n');
  const r = await runCli(['makemigrations', 'x'], { cwd: root });
  t.is(r.code, 0, r.stderr);
  t.is(readFileSync(join(root, 'schema/patches', `${today}_x.sql`), 'utf8'), 'keep me\n');
  t.is(r.stdout.trim(), `schema/patches/${today}~02_x.sql`);
});
