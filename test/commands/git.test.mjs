// src/engine/git.ts against real repositories: what counts as a schema change, and every way git
// can be missing or refuse.
import test from 'ava';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openRepo, isRepo, GitError, GitRefError } from 'pgpatch';
import { commitAll, git, gitProject, plainProject, writeFiles } from '../helpers/gitdir.mjs';

const SCHEMA = { 'schema/database.sql': '\\i app.sql\n', 'schema/app.sql': 'create table a (id int);\n', 'schema/patches/.gitkeep': '' };

function scope(root) {
  return { include: join(root, 'schema'), exclude: [join(root, 'schema/patches')] };
}

test('outside a work tree: reported as data, with a hint', async (t) => {
  const root = plainProject(t, { 'schema/app.sql': 'x\n' });
  const r = await openRepo(join(root, 'schema'));
  t.false(isRepo(r));
  t.is(r.reason, 'not-a-work-tree');
  t.regex(r.hint, /git init/);
});

test('a folder that does not exist is not a work tree either', async (t) => {
  const r = await openRepo('/nonexistent/pgpatch/schema');
  t.false(isRepo(r));
  t.is(r.reason, 'not-a-work-tree');
});

test('inside the .git folder is not a work tree', async (t) => {
  const root = gitProject(t, SCHEMA);
  const r = await openRepo(join(root, '.git'));
  t.false(isRepo(r));
});

test('no commits yet: staged and untracked schema files diff as new files', async (t) => {
  const root = gitProject(t, SCHEMA, { commit: false });
  git(root, 'add', 'schema/app.sql');
  const repo = await openRepo(root);
  t.true(isRepo(repo));
  t.is(repo.head, null);
  t.is(repo.branch, 'main');
  const d = await repo.diff(scope(root));
  t.is(d.base.ref, '(no commits yet)');
  t.deepEqual(
    d.files.map((f) => [f.path, f.status]),
    [
      ['schema/app.sql', 'added'],
      ['schema/database.sql', 'untracked'],
    ],
  );
  t.regex(d.text, /\+create table a/);
  t.regex(d.text, /\+\\i app\.sql/);
});

test('dirty index: staged and unstaged changes both count, patches and other folders do not', async (t) => {
  const root = gitProject(t, { ...SCHEMA, 'src/app.py': 'pass\n' });
  writeFiles(root, { 'schema/app.sql': 'create table a (id int, b text);\n' });
  git(root, 'add', 'schema/app.sql');
  writeFiles(root, {
    'schema/app.sql': 'create table a (id int, b text, c date);\n',
    'schema/patches/2026-01-01_x.sql': 'select 1;\n',
    'src/app.py': 'print(1)\n',
    'schema/views.sql': 'create view v as select 1;\n',
  });
  git(root, 'add', 'schema/patches');
  const repo = await openRepo(join(root, 'schema'));
  const d = await repo.diff(scope(root));
  t.deepEqual(
    d.files.map((f) => [f.path, f.status]),
    [
      ['schema/app.sql', 'modified'],
      ['schema/views.sql', 'untracked'],
    ],
  );
  t.regex(d.text, /\+create table a \(id int, b text, c date\);/);
  t.regex(d.text, /\+create view v/);
  t.notRegex(d.text, /2026-01-01_x|print/);
});

test('detached HEAD: the diff is against HEAD, and --base works', async (t) => {
  const root = gitProject(t, SCHEMA);
  writeFiles(root, { 'schema/app.sql': 'create table a (id bigint);\n' });
  commitAll(root, 'bigint');
  git(root, 'checkout', '-q', '--detach');
  writeFiles(root, { 'schema/app.sql': 'create table a (id bigint, n text);\n' });
  const repo = await openRepo(root);
  t.is(repo.branch, null);
  t.truthy(repo.head);
  const d = await repo.diff(scope(root));
  t.regex(d.text, /-create table a \(id bigint\);/);
  git(root, 'branch', 'start', 'HEAD~1');
  const b = await repo.diff(scope(root), 'start');
  t.true(b.base.mergeBase);
  t.regex(b.text, /-create table a \(id int\);\n\+create table a \(id bigint, n text\);/);
});

test('--base: the working tree against the merge base, not against the tip of the base', async (t) => {
  const root = gitProject(t, SCHEMA);
  git(root, 'checkout', '-q', '-b', 'feature');
  writeFiles(root, { 'schema/app.sql': 'create table a (id int, feature text);\n' });
  commitAll(root, 'feature');
  git(root, 'checkout', '-q', 'main');
  writeFiles(root, { 'schema/other.sql': 'create table o ();\n' });
  commitAll(root, 'main moves on');
  git(root, 'checkout', '-q', 'feature');
  const repo = await openRepo(root);
  const { base, files } = await repo.changedFiles(scope(root), 'main');
  t.true(base.mergeBase);
  t.deepEqual(
    files.map((f) => f.path),
    ['schema/app.sql'],
  );
});

test('--base on an unborn branch (HEAD has no commits yet, the base has): a GitError saying so, with a hint', async (t) => {
  const root = gitProject(t, SCHEMA);
  git(root, 'checkout', '-q', '--orphan', 'fresh');
  const repo = await openRepo(root);
  t.true(isRepo(repo));
  t.is(repo.head, null);
  const e = await t.throwsAsync(repo.diff(scope(root), 'main'), { instanceOf: GitError });
  t.regex(e.message, /HEAD has no commits yet/);
  t.regex(e.hint, /commit something first/);
});

test('a base ref that does not exist is a GitRefError with a hint', async (t) => {
  const root = gitProject(t, SCHEMA);
  const repo = await openRepo(root);
  const e = await t.throwsAsync(() => repo.diff(scope(root), 'origin/nope'), { instanceOf: GitRefError });
  t.is(e.ref, 'origin/nope');
  t.is(e.exitCode, 2);
  t.regex(e.hint, /git fetch origin nope/);
  await t.throwsAsync(() => repo.diff(scope(root), '--output=/tmp/x'), { instanceOf: GitRefError });
});

test('--base in a repository without commits says so', async (t) => {
  const root = gitProject(t, SCHEMA, { commit: false });
  const repo = await openRepo(root);
  await t.throwsAsync(() => repo.diff(scope(root), 'main'), { message: /unknown git ref/ });
});

test('unrelated histories: no merge base', async (t) => {
  const root = gitProject(t, SCHEMA);
  git(root, 'checkout', '-q', '--orphan', 'other');
  commitAll(root, 'orphan');
  const repo = await openRepo(root);
  const e = await t.throwsAsync(() => repo.changedFiles(scope(root), 'main'));
  t.is(e.code, 'git_merge_base');
  t.false(e.shallow);
});

test('author from the repository config; git mv keeps history; tracked files listed', async (t) => {
  const root = gitProject(t, { ...SCHEMA, 'schema/patches/2024-01-02_a.sql': 'select 1;\n' });
  const repo = await openRepo(root);
  t.deepEqual(await repo.author(), { name: 'Ann Example', email: 'ann@example.org' });
  const tracked = await repo.trackedFiles(join(root, 'schema/patches'));
  t.true(tracked.has(join(root, 'schema/patches/2024-01-02_a.sql')));
  mkdirSync(join(root, 'schema/patches/2024/01'), { recursive: true });
  await repo.move(join(root, 'schema/patches/2024-01-02_a.sql'), join(root, 'schema/patches/2024/01/2024-01-02_a.sql'));
  t.regex(git(root, 'status', '--porcelain'), /^R {2}schema\/patches\/2024-01-02_a\.sql -> schema\/patches\/2024\/01\/2024-01-02_a\.sql/m);
});

test('file names with spaces and unicode come through unquoted', async (t) => {
  const root = gitProject(t, SCHEMA);
  writeFiles(root, { 'schema/über table.sql': 'create table "über" ();\n' });
  const repo = await openRepo(root);
  const d = await repo.diff(scope(root));
  t.deepEqual(
    d.files.map((f) => f.path),
    ['schema/über table.sql'],
  );
  t.regex(d.text, /b\/schema\/über table\.sql/);
});
