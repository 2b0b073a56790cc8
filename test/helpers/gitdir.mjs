// Real git repositories in temporary folders, for the authoring commands (makemigrations,
// squashmigrations...). Plain git through execFileSync: tests set up state the way a user would.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A temporary folder (realpath: git reports roots with symlinks resolved), removed by `cleanup`. */
export function tempDir(prefix = 'pgpatch-git-') {
  return realpathSync(mkdtempSync(join(tmpdir(), prefix)));
}

/** Runs git in `cwd`, with no global or system configuration; returns stdout. */
export function git(cwd, ...args) {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Writes files given as { 'schema/a.sql': 'text' }, creating folders. */
export function writeFiles(root, files) {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

/**
 * A project folder with a git repository on branch main, user.name/email set in its config;
 * `files` are written and, unless `commit` is false, committed.
 */
export function gitProject(t, files = {}, { commit = true } = {}) {
  const root = tempDir();
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  git(root, 'init', '-q', '-b', 'main');
  git(root, 'config', 'user.name', 'Ann Example');
  git(root, 'config', 'user.email', 'ann@example.org');
  git(root, 'config', 'commit.gpgsign', 'false');
  writeFiles(root, files);
  if (commit && Object.keys(files).length) commitAll(root, 'initial');
  return root;
}

/** A project folder that is not in any git repository. */
export function plainProject(t, files = {}) {
  const root = tempDir('pgpatch-nogit-');
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  writeFiles(root, files);
  return root;
}

export function commitAll(root, message) {
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', message);
  return git(root, 'rev-parse', 'HEAD').trim();
}

/** A folder holding only `node`, for running the CLI where git cannot be found. */
export function pathWithoutGit(t) {
  const dir = tempDir('pgpatch-nogitbin-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
