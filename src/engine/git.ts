/**
 * The one module that talks to git (through simple-git). Everything else sees `GitRepo`: a work
 * tree, what changed in it, who the author is, and `git mv`.
 *
 * No git, or not inside a work tree, is an answer, not a failure: `openRepo` returns
 * `GitUnavailable` as data so that a caller that can go on without git (makemigrations writes its
 * stub without a diff) does; a caller that cannot throws `GitUnavailableError` itself.
 * Every git failure becomes a `GitError` (or a subclass) that says what to do about it.
 *
 * Untracked files: "uncommitted changes" include new schema files that were never `git add`ed.
 * A new `schema/orders.sql` is exactly the kind of change that needs a patch, so the diff shows
 * untracked files (those `.gitignore` does not exclude) as new files, and `changedFiles` lists
 * them with the status `untracked`.
 *
 * simple-git drops ambient `GIT_*` environment variables (GIT_DIR, GIT_AUTHOR_NAME...) on
 * purpose; the repository is found from the folder, the author from `git config`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { EXIT, PgpatchError } from '../errors';

/** A git command failed. `stderr` is git's own message; `hint` says what to do. */
export class GitError extends PgpatchError {
  readonly code: string = 'git';
  readonly exitCode: number = EXIT.usage;
  constructor(
    readonly command: string[],
    readonly stderr: string,
    hint?: string,
  ) {
    super(`git ${command[0] ?? ''} failed: ${firstLine(stderr)}`, { hint });
  }
}

/** A ref given by the user (`--base main`) that this repository does not have. */
export class GitRefError extends GitError {
  override readonly code = 'git_ref';
  constructor(
    readonly ref: string,
    hint?: string,
  ) {
    super(
      ['rev-parse', ref],
      `unknown revision "${ref}"`,
      hint ?? `check the name with "git branch -a"; in CI, fetch it first (git fetch origin ${ref.replace(/^origin\//, '')})`,
    );
    this.message = `unknown git ref "${ref}"`;
  }
}

/** `--base REF` and HEAD share no history (often: a shallow CI clone). */
export class NoMergeBaseError extends GitError {
  override readonly code = 'git_merge_base';
  constructor(
    readonly ref: string,
    readonly shallow: boolean,
  ) {
    super(
      ['merge-base', ref, 'HEAD'],
      `no merge base between ${ref} and HEAD`,
      shallow
        ? 'this is a shallow clone: fetch more history (git fetch --unshallow, or fetch-depth: 0 in actions/checkout)'
        : `${ref} and HEAD have no common history; give the branch this one was started from`,
    );
    this.message = `no common ancestor of ${ref} and HEAD`;
  }
}

export type GitUnavailableReason = 'git-missing' | 'not-a-work-tree' | 'refused';

/** Why git cannot be used here, as data. */
export interface GitUnavailable {
  available: false;
  reason: GitUnavailableReason;
  /** The folder that was asked about. */
  dir: string;
  /** git's own message, when it gave one. */
  detail: string;
  hint: string;
}

/** Thrown by callers that cannot go on without git (`--base`, `--check`). */
export class GitUnavailableError extends PgpatchError {
  readonly code = 'git_unavailable';
  readonly exitCode = EXIT.usage;
  constructor(
    readonly reason: GitUnavailableReason,
    readonly dir: string,
    readonly detail: string,
    hint: string,
    readonly needed?: string,
  ) {
    super(`${needed ? `${needed} needs git, but ` : ''}${describeReason(reason, dir)}`, { hint });
  }
  static from(u: GitUnavailable, needed?: string): GitUnavailableError {
    return new GitUnavailableError(u.reason, u.dir, u.detail, u.hint, needed);
  }
}

export function describeReason(reason: GitUnavailableReason, dir: string): string {
  if (reason === 'git-missing') return 'git is not installed (or not on PATH)';
  if (reason === 'refused') return `git refuses to work in ${dir}`;
  return `${dir} is not inside a git work tree`;
}

export type ChangeStatus = 'added' | 'modified' | 'deleted' | 'renamed' | 'copied' | 'type-changed' | 'unmerged' | 'untracked';

export interface ChangedFile {
  /** Path relative to the work tree's root, with forward slashes. */
  path: string;
  /** Absolute path. */
  absolutePath: string;
  status: ChangeStatus;
  /** For renames and copies: where it came from (relative to the root). */
  from?: string;
}

/** What a diff was taken against. */
export interface DiffBase {
  /** As given (`HEAD`, `main`...), or `(no commits yet)` in a repository without any. */
  ref: string;
  /** The commit diffed against (the merge base with `--base`); the empty tree without commits. */
  commit: string;
  /** True when the diff is against the merge base of `ref` and HEAD. */
  mergeBase: boolean;
}

export interface SchemaDiff {
  base: DiffBase;
  /** Unified diff text (`git diff`), untracked files included as new files. May be empty. */
  text: string;
  /** The files in it (relative to the root). */
  files: ChangedFile[];
}

export interface Author {
  name: string | null;
  email: string | null;
}

export interface DiffScope {
  /** The folder whose files count (everything under it)... */
  include: string;
  /** ...except what is under these folders. */
  exclude?: string[];
}

// The tree with no files, whatever the hash function: `git hash-object -t tree /dev/null`.
const EMPTY_TREE = { sha1: '4b825dc642cb6eb9a060e54bf8d69288fbee4904' };

/**
 * The git work tree that contains `dir`, or why there is none. Never throws for "no git" or
 * "not a repository"; other failures (a corrupt repository) throw `GitError`.
 */
export async function openRepo(dir: string): Promise<GitRepo | GitUnavailable> {
  const from = resolve(dir);
  const unavailable = (reason: GitUnavailableReason, detail: string): GitUnavailable => ({
    available: false,
    reason,
    dir: from,
    detail: firstLine(detail),
    hint: hintFor(reason, from),
  });
  if (!existsSync(from)) return unavailable('not-a-work-tree', 'no such folder');
  const probe = client(from);
  let root: string;
  try {
    root = (await probe.raw(['rev-parse', '--show-toplevel'])).trim();
  } catch (e) {
    const message = errorText(e);
    if (isMissingGit(message)) return unavailable('git-missing', message);
    if (/dubious ownership|unsafe repository/i.test(message)) return unavailable('refused', message);
    if (/not a git repository|must be run in a work tree/i.test(message)) return unavailable('not-a-work-tree', message);
    throw toGitError(['rev-parse', '--show-toplevel'], e);
  }
  if (!root) return unavailable('not-a-work-tree', 'inside the .git folder');
  const repo = new GitRepo(client(root), root);
  await repo.refresh();
  return repo;
}

export function isRepo(r: GitRepo | GitUnavailable): r is GitRepo {
  return r instanceof GitRepo;
}

export class GitRepo {
  readonly available = true;
  /** The commit HEAD points at; null in a repository without commits. */
  head: string | null = null;
  /** The current branch; null when HEAD is detached. */
  branch: string | null = null;

  /** `root` is the work tree's top folder, as git reports it (symlinks resolved). */
  constructor(
    private readonly git: SimpleGit,
    readonly root: string,
  ) {}

  async refresh(): Promise<void> {
    // --quiet: exit 1 and no message when there is no such commit (simple-git then returns '').
    this.head = (await this.run(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'])).trim() || null;
    this.branch = (await this.run(['symbolic-ref', '--quiet', '--short', 'HEAD'])).trim() || null;
  }

  /** Path relative to the root with forward slashes, or undefined when it is outside the work tree. */
  relativePath(path: string): string | undefined {
    const rel = relative(this.root, realish(path));
    if (rel.startsWith('..') || isAbsolute(rel)) return undefined;
    return rel.split(sep).join('/');
  }

  contains(path: string): boolean {
    return this.relativePath(path) !== undefined;
  }

  /**
   * The diff of the files in `scope`: without `base`, uncommitted changes (staged or not, and
   * untracked files) against HEAD; with `base`, the working tree against the merge base of
   * `base` and HEAD, which is what a feature branch changed since it left `base`.
   */
  async diff(scope: DiffScope, base?: string): Promise<SchemaDiff> {
    const against = await this.resolveBase(base);
    const specs = this.pathspecs(scope);
    const files = await this.changes(against.commit, specs);
    const parts = [await this.run(['diff', '--no-color', '--no-ext-diff', against.commit, '--', ...specs])];
    for (const f of files.filter((x) => x.status === 'untracked')) {
      // --no-index exits 1 when the files differ; with nothing on stderr simple-git takes it as success.
      parts.push(await this.run(['diff', '--no-color', '--no-ext-diff', '--no-index', '--', '/dev/null', f.path]));
    }
    return { base: against, text: parts.filter(Boolean).join(''), files };
  }

  /** Files in `scope` changed against `base` (default HEAD) or its merge base, untracked included. */
  async changedFiles(scope: DiffScope, base?: string): Promise<{ base: DiffBase; files: ChangedFile[] }> {
    const against = await this.resolveBase(base);
    return { base: against, files: await this.changes(against.commit, this.pathspecs(scope)) };
  }

  /** The author for new files: `git config user.name` and `user.email`. */
  async author(): Promise<Author> {
    const get = async (key: string) => (await this.run(['config', '--get', key])).trim() || null;
    return { name: await get('user.name'), email: await get('user.email') };
  }

  /** Files under `dir` that git tracks (in the index), as absolute paths. */
  async trackedFiles(dir: string): Promise<Set<string>> {
    const rel = this.relativePath(dir);
    if (rel === undefined) return new Set();
    const out = await this.run(['ls-files', '-z', '--cached', '--', literal(rel)]);
    return new Set(
      out
        .split('\0')
        .filter(Boolean)
        .map((p) => resolve(this.root, p)),
    );
  }

  /** `git mv from to` (both inside the work tree). The destination folder must exist. */
  async move(from: string, to: string): Promise<void> {
    const a = this.relativePath(from);
    const b = this.relativePath(to);
    if (a === undefined || b === undefined) throw new GitError(['mv', from, to], 'path outside the work tree');
    await this.run(['mv', '--', a, b]);
  }

  /**
   * The branch a feature branch is compared with when no `--base` is given: the first of
   * origin/HEAD, main, master, origin/main, origin/master that exists.
   */
  async defaultBase(): Promise<string> {
    for (const ref of ['origin/HEAD', 'main', 'master', 'origin/main', 'origin/master']) {
      if ((await this.run(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).trim()) return ref;
    }
    throw new GitRefError('main', 'no main branch found (tried origin/HEAD, main, master, origin/main, origin/master): give --base REF');
  }

  /**
   * Writes the files under `dir` as they were at the merge base of `base` and HEAD into `dest`
   * (same relative paths as in the work tree). Bytes are copied as they are, through git archive.
   */
  async exportTree(base: string, dir: string, dest: string): Promise<DiffBase> {
    const against = await this.resolveBase(base);
    const rel = this.relativePath(dir);
    if (rel === undefined) throw new GitError(['archive'], `${dir} is outside the work tree`);
    mkdirSync(dest, { recursive: true });
    await new Promise<void>((ok, fail) => {
      const git = spawn('git', ['-C', this.root, 'archive', '--format=tar', against.commit, '--', rel === '' ? '.' : rel], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const tar = spawn('tar', ['-x', '-C', dest], { stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      git.stderr.on('data', (d) => (stderr += d));
      tar.stderr.on('data', (d) => (stderr += d));
      git.stdout.pipe(tar.stdin);
      let pending = 2;
      let failed = false;
      const done = (code: number | null) => {
        if (code !== 0 && !failed) {
          failed = true;
          // A folder that did not exist at that commit: git says "pathspec did not match".
          if (/did not match any files/.test(stderr)) ok();
          else fail(new GitError(['archive', against.commit, rel], stderr.trim() || `exit status ${code}`));
          return;
        }
        if (--pending === 0 && !failed) ok();
      };
      git.on('close', done);
      tar.on('close', done);
      git.on('error', (e) => fail(new GitError(['archive'], e.message)));
      tar.on('error', (e) => fail(new GitError(['tar'], e.message)));
    });
    return against;
  }

  private async resolveBase(base?: string): Promise<DiffBase> {
    if (base === undefined || base === 'HEAD') {
      if (this.head) return { ref: 'HEAD', commit: this.head, mergeBase: false };
      return { ref: '(no commits yet)', commit: await this.emptyTree(), mergeBase: false };
    }
    if (base.startsWith('-') || /[\0\s]/.test(base)) throw new GitRefError(base, 'a ref cannot start with "-" or contain spaces');
    const commit = (await this.run(['rev-parse', '--verify', '--quiet', `${base}^{commit}`])).trim();
    if (!commit) throw new GitRefError(base);
    if (!this.head) {
      throw new GitError(
        ['merge-base', base, 'HEAD'],
        'HEAD has no commits yet',
        'commit something first, or leave out --base to diff uncommitted changes',
      );
    }
    const mb = (await this.run(['merge-base', commit, this.head])).trim();
    if (!mb) {
      const shallow = (await this.run(['rev-parse', '--is-shallow-repository'])).trim() === 'true';
      throw new NoMergeBaseError(base, shallow);
    }
    return { ref: base, commit: mb, mergeBase: true };
  }

  private async emptyTree(): Promise<string> {
    const format = (await this.run(['rev-parse', '--show-object-format'])).trim();
    if (format === 'sha1' || format === '') return EMPTY_TREE.sha1;
    return (await this.run(['hash-object', '-t', 'tree', '/dev/null'])).trim();
  }

  private pathspecs(scope: DiffScope): string[] {
    const include = this.relativePath(scope.include);
    if (include === undefined) return [];
    const specs = [literal(include)];
    for (const ex of scope.exclude ?? []) {
      const rel = this.relativePath(ex);
      if (rel !== undefined && rel !== include && (include === '' || rel.startsWith(include + '/'))) {
        specs.push(`:(top,exclude,literal)${rel}`);
      }
    }
    return specs;
  }

  private async changes(commit: string, specs: string[]): Promise<ChangedFile[]> {
    if (specs.length === 0) return [];
    const out = await this.run(['diff', '--name-status', '-z', '-M', '--no-color', commit, '--', ...specs]);
    const fields = out.split('\0');
    const files: ChangedFile[] = [];
    for (let i = 0; i < fields.length - 1;) {
      const code = fields[i++];
      const letter = code[0];
      if (letter === 'R' || letter === 'C') {
        const from = fields[i++];
        const path = fields[i++];
        files.push({ path, absolutePath: resolve(this.root, path), status: letter === 'R' ? 'renamed' : 'copied', from });
      } else {
        const path = fields[i++];
        files.push({ path, absolutePath: resolve(this.root, path), status: STATUS[letter] ?? 'modified' });
      }
    }
    const untracked = await this.run(['ls-files', '-z', '--others', '--exclude-standard', '--', ...specs]);
    for (const path of untracked.split('\0').filter(Boolean)) {
      files.push({ path, absolutePath: resolve(this.root, path), status: 'untracked' });
    }
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  private async run(args: string[]): Promise<string> {
    try {
      return await this.git.raw(args);
    } catch (e) {
      throw toGitError(args, e);
    }
  }
}

const STATUS: Record<string, ChangeStatus> = {
  A: 'added',
  M: 'modified',
  D: 'deleted',
  T: 'type-changed',
  U: 'unmerged',
};

function client(baseDir: string): SimpleGit {
  // Output for machines: no colours, paths as they are (not "\303\251"-quoted).
  return simpleGit({ baseDir, config: ['core.quotePath=false', 'color.ui=false'] });
}

/** A pathspec for exactly this path, relative to the root whatever git's cwd. */
function literal(rel: string): string {
  return rel === '' ? ':(top,literal).' : `:(top,literal)${rel}`;
}

/** realpath when the path exists (git reports the root with symlinks resolved), else as given. */
function realish(path: string): string {
  const abs = resolve(path);
  try {
    return realpathSync(abs);
  } catch {
    // A file not written yet: resolve its folder.
    const parent = resolve(abs, '..');
    return parent === abs ? abs : resolve(realish(parent), relative(parent, abs));
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function firstLine(text: string): string {
  const line =
    text
      .split('\n')
      .map((l) => l.trim())
      .find(Boolean) ?? '';
  return line.replace(/^(fatal|error):\s*/, '');
}

function isMissingGit(message: string): boolean {
  return /spawn \S*git\S* ENOENT/.test(message);
}

function hintFor(reason: GitUnavailableReason, dir: string): string {
  if (reason === 'git-missing') return 'install git, or make sure it is on PATH';
  if (reason === 'refused')
    return `the repository belongs to another user; if you trust it: git config --global --add safe.directory ${dir}`;
  return 'run pgpatch inside the project\'s git work tree (or "git init" one)';
}

function toGitError(args: string[], e: unknown): PgpatchError {
  const message = errorText(e);
  if (isMissingGit(message)) return new GitUnavailableError('git-missing', process.cwd(), message, hintFor('git-missing', ''));
  if (/index\.lock/.test(message)) {
    return new GitError(args, message, 'another git process is running here; if none is, remove .git/index.lock');
  }
  if (/not under version control/.test(message)) {
    return new GitError(args, message, 'the file is not tracked by git: add it first, or move it yourself');
  }
  if (/destination exists/.test(message)) {
    return new GitError(args, message, 'a file is already at the destination; move or remove it first');
  }
  return new GitError(args, message);
}
