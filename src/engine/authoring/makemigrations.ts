/**
 * `makemigrations`: writes a new patch stub `YYYY-MM-DD_slug.sql` from a template, with the git
 * diff of the schema files as SQL comments; and `--check`, which tells CI whether schema files
 * changed without a new patch.
 *
 * Names: the date is today's on the local clock. When a patch of the same day exists, the new
 * one is `YYYY-MM-DD~NN_slug` with NN one more than the highest of that day (the first one counts
 * as 01), so it sorts after all of them (`~` sorts after `_` and after digits).
 *
 * Never overwrites: the file is created with O_EXCL. When two runs pick the same name at the
 * same moment, the loser scans again and takes the next number. Two runs with different NAMEs at
 * the same moment can both get the plain `YYYY-MM-DD_` name: different files, ordered by slug,
 * as two patches written on two branches would be.
 */
import { mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { EXIT, PgpatchError, UsageError } from '../../errors';
import type { ScratchChoice } from '../../target';
import { GitUnavailableError, isRepo, openRepo, type ChangedFile, type DiffBase, type GitRepo, type GitUnavailable } from '../git';
import { findPatches, patchNameOf } from '../patches/files';

/** Longest slug kept from NAME; the whole file name stays well under any file system's limit. */
export const MAX_SLUG = 60;
/** Diffs longer than this are cut in the patch (the rest is one `git diff` away). */
export const MAX_DIFF_LINES = 2000;

export const BUILTIN_TEMPLATE = resolve(__dirname, '..', '..', '..', 'templates', 'patch.sql');
/** A team's own template, looked for in the schema folder. */
export const TEMPLATE_FILE = 'patch-template.sql';

export const PLACEHOLDERS = ['name', 'description', 'slug', 'date', 'author', 'path', 'diff', 'diff_against', 'draft'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

/** The template could not be used: unknown placeholders, or it cannot be read. */
export class TemplateError extends PgpatchError {
  readonly code = 'template';
  readonly exitCode = EXIT.usage;
  constructor(
    readonly path: string,
    readonly reason: string,
    readonly unknown: string[] = [],
  ) {
    super(`patch template ${path}: ${reason}`, {
      hint: unknown.length ? `known placeholders: ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(' ')}` : undefined,
    });
  }
}

/** The patch file could not be written. */
export class PatchWriteError extends PgpatchError {
  readonly code = 'patch_write';
  readonly exitCode = EXIT.usage;
  constructor(
    readonly path: string,
    readonly reason: string,
    hint?: string,
  ) {
    super(`cannot write ${path}: ${reason}`, { hint });
  }
}

/**
 * A safe file-name part from free text: lower case, accents folded to ASCII where there is a
 * folding, every run of anything else turned into one `_`, no leading or trailing `_`, at most
 * MAX_SLUG characters. Path separators, dots and shell characters cannot survive it.
 */
export function slugify(text: string): string {
  const folded = text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[ßæœøłđþ]/gi, (c) => FOLD[c.toLowerCase()] ?? c)
    .toLowerCase();
  const slug = folded.replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  return slug.slice(0, MAX_SLUG).replace(/_+$/, '');
}

const FOLD: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', þ: 'th' };

/** Scripts written without spaces between words: each character is a syllable of its own. */
const SYLLABIC = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/**
 * `text` in ASCII letters, for a slug: Cyrillic, Greek, Chinese (pinyin), Japanese, Korean,
 * Arabic... transliterated by any-ascii (loaded only for text that is not Latin already).
 * Characters of syllabic scripts are kept apart, so that `添加书号` reads `tian_jia_shu_hao`.
 * A transliteration is a reading, not a translation: the slug may look odd, never wrong bytes.
 */
export async function toAscii(text: string): Promise<string> {
  const folded = text.normalize('NFKD').replace(/\p{M}+/gu, '');
  if (!/[^\p{ASCII}]/u.test(folded.replace(/[ßæœøłđþ]/gi, ''))) return text;
  const { default: anyAscii } = await import('any-ascii');
  return [...text].map((c) => (SYLLABIC.test(c) ? ` ${anyAscii(c)} ` : (FOLD[c.toLowerCase()] ?? anyAscii(c)))).join('');
}

/** Today on the local clock, `YYYY-MM-DD`. */
export function localDate(now: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}`;
}

/**
 * The name for a new patch of `date`, given the names of the patches that exist. Throws when a
 * hand-made name of that day would sort after it anyway (`~9`, `~zz`): better to say so than to
 * write a patch that runs before one written earlier.
 */
export function nextPatchName(existing: Iterable<string>, date: string, slug: string): string {
  let highest = 0;
  const sameDay: string[] = [];
  for (const name of existing) {
    if (!name.startsWith(date)) continue;
    sameDay.push(name);
    const m = /^~(\d+)/.exec(name.slice(date.length));
    highest = Math.max(highest, m ? Number(m[1]) : 1);
  }
  if (highest === 0) return `${date}_${slug}`;
  const seq = highest + 1;
  if (seq > 99) throw new UsageError(`${date} already has 99 patches: ~100 would not sort after ~99`);
  const name = `${date}~${String(seq).padStart(2, '0')}_${slug}`;
  const after = sameDay.filter((n) => Buffer.compare(Buffer.from(n), Buffer.from(name)) >= 0);
  if (after.length) {
    throw new UsageError(`a new patch ${name} would sort before ${after.join(', ')}`, {
      hint: `rename the same-day patches to the ${date}~NN_ form with two digits`,
    });
  }
  return name;
}

/** Names of the `.sql` files under the patches folder, archive folders included. */
function existingNames(patchesDir: string): string[] {
  const names: string[] = [];
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory() && !e.name.startsWith('.')) walk(join(dir, e.name));
      else if (e.name.endsWith('.sql')) names.push(patchNameOf(e.name));
    }
  };
  walk(patchesDir);
  return names;
}

export interface TemplateSource {
  path: string;
  /** `flag`: --template; `schema-dir`: <schema-dir>/patch-template.sql; `built-in`: templates/patch.sql. */
  source: 'flag' | 'schema-dir' | 'built-in';
}

export function chooseTemplate(schemaDir: string, flag?: string): TemplateSource {
  if (flag) return { path: resolve(flag), source: 'flag' };
  const team = join(schemaDir, TEMPLATE_FILE);
  try {
    readFileSync(team);
    return { path: team, source: 'schema-dir' };
  } catch {
    return { path: BUILTIN_TEMPLATE, source: 'built-in' };
  }
}

/** Reads a template and checks its placeholders, so a typo fails before anything is written. */
export function readTemplate(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TemplateError(path, code === 'ENOENT' ? 'no such file' : (e as Error).message);
  }
  const unknown = [...text.matchAll(PLACEHOLDER)].map((m) => m[1]).filter((p) => !(PLACEHOLDERS as readonly string[]).includes(p));
  if (unknown.length) {
    throw new TemplateError(
      path,
      `unknown placeholder${unknown.length > 1 ? 's' : ''} ${[...new Set(unknown)].map((u) => `{{${u}}}`).join(', ')}`,
      unknown,
    );
  }
  return text;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/**
 * Fills `{{placeholder}}`s in one pass (a value holding `{{x}}` stays as it is). Every value but
 * `diff` and `draft` is made single-line: they land in `--` comments, where a line break would
 * turn the rest of the text into SQL. `diff` must already be commented (see `commentLines`);
 * `draft` is SQL. A template without `{{draft}}` gets the draft after its `BEGIN;` line, or at its end.
 */
export function renderTemplate(template: string, values: Record<Placeholder, string>): string {
  let text = template;
  if (values.draft && !/\{\{\s*draft\s*\}\}/.test(text)) {
    text = /^BEGIN;[ \t]*$/im.test(text)
      ? text.replace(/^BEGIN;[ \t]*$/im, (b) => `${b}\n\n{{draft}}`)
      : `${text.replace(/\n*$/, '\n')}\n{{draft}}\n`;
  }
  return text.replace(PLACEHOLDER, (_all, key: Placeholder) =>
    key === 'diff' || key === 'draft' ? values[key] : values[key].replace(/[\r\n\u2028\u2029]+/g, ' '),
  );
}

/**
 * Each line prefixed with `-- `. PostgreSQL ends a `--` comment at CR as well as LF, so both
 * count as line ends here: a stray CR in a diff cannot uncomment the rest of its line.
 */
export function commentLines(text: string): string {
  const lines = text.replace(/(\r\n|\r|\n)$/, '').split(/\r\n|\r|\n/);
  return lines.map((l) => (l ? `-- ${l}` : '--')).join('\n');
}

export interface MakeMigrationOptions {
  /** NAME as the user gave it: becomes the slug and the description. */
  name: string;
  schemaDir: string;
  patchesDir: string;
  /** Folder that paths in the patch are shown relative to (default: cwd). */
  projectDir?: string;
  /** Diff against the merge base with this ref instead of HEAD. */
  base?: string;
  /** No diff. */
  empty?: boolean;
  /** Do not write: return the content. */
  dryRun?: boolean;
  /** A template file (default: <schema-dir>/patch-template.sql, then the built-in one). */
  template?: string;
  /** The clock, for tests. */
  now?: Date;
  /**
   * Write the draft statements (see draft.ts) between BEGIN and COMMIT: the schema files at the
   * base and in the working tree built on the scratch server and compared (the embedded one only
   * when the project has it already: none is started for a draft). Without it, the stub of old.
   */
  draft?: { entry: string; scratch: ScratchChoice; variables?: Record<string, string> };
}

/** Why the patch has no draft, when asked for one. */
export type NoDraftReason = 'no-scratch-server' | 'no-diff' | 'build-failed';

/** Why there is no diff in the patch, when there is none. */
export type NoDiffReason = 'empty-flag' | 'git-unavailable' | 'schema-outside-work-tree';

export interface MakeMigrationResult {
  name: string;
  path: string;
  /** False with --dry-run. */
  written: boolean;
  content: string;
  template: TemplateSource;
  author: string;
  diff: { base: DiffBase; files: ChangedFile[]; lines: number; truncated: boolean } | null;
  noDiff?: NoDiffReason;
  /** Set when git could not be used (the stub is written anyway). */
  git?: GitUnavailable;
  /** The draft written into the patch: how many changes, how many commented out because they destroy data. */
  draft?: { changes: number; commentedOut: number; hazards: number };
  noDraft?: NoDraftReason;
  /** Why the draft could not be built (`build-failed`): the first line of the error. */
  draftError?: string;
}

export async function makeMigration(options: MakeMigrationOptions): Promise<MakeMigrationResult> {
  const slug = slugify(await toAscii(options.name));
  if (!slug) {
    throw new UsageError(`"${options.name}" has no letters or digits that can be written in ASCII to name a patch with`, {
      hint: 'describe the change in a few words, e.g. add_book_isbn',
    });
  }
  const projectDir = resolve(options.projectDir ?? process.cwd());
  const template = chooseTemplate(options.schemaDir, options.template);
  const templateText = readTemplate(template.path);
  const date = localDate(options.now);

  const repo = await openRepo(existsDir(options.schemaDir) ? options.schemaDir : projectDir);
  if (!isRepo(repo) && options.base !== undefined) throw GitUnavailableError.from(repo, '--base');
  let diff: MakeMigrationResult['diff'] = null;
  let noDiff: NoDiffReason | undefined;
  let diffText = '';
  if (options.empty) {
    noDiff = 'empty-flag';
  } else if (!isRepo(repo)) {
    noDiff = 'git-unavailable';
  } else if (!repo.contains(options.schemaDir)) {
    noDiff = 'schema-outside-work-tree';
  } else {
    const d = await repo.diff({ include: options.schemaDir, exclude: [options.patchesDir] }, options.base);
    const lines = d.text.split('\n');
    const truncated = lines.length > MAX_DIFF_LINES;
    diffText = truncated
      ? [
          ...lines.slice(0, MAX_DIFF_LINES),
          `... ${lines.length - MAX_DIFF_LINES} more lines: see git diff ${d.base.commit.slice(0, 12)}`,
        ].join('\n')
      : d.text;
    diff = { base: d.base, files: d.files, lines: lines.length, truncated };
  }
  const author = await authorOf(isRepo(repo) ? repo : undefined);
  // No schema file changed: nothing to draft, and no databases to build for it.
  const drafted = options.draft && diff?.files.length !== 0 ? await draftFor(options, diff && isRepo(repo) ? repo : undefined) : undefined;

  const values = (name: string, path: string): Record<Placeholder, string> => ({
    name,
    description: options.name.trim(),
    slug,
    date,
    author,
    path: relative(projectDir, path) || path,
    diff: commentLines(diffText || noDiffLine(noDiff)),
    diff_against: describeBase(noDiff, diff?.base),
    draft: drafted?.sql.replace(/\n+$/, '') ?? '',
  });

  const result = (name: string, path: string, content: string, written: boolean): MakeMigrationResult => ({
    name,
    path,
    written,
    content,
    template,
    author,
    diff,
    ...(noDiff ? { noDiff } : {}),
    ...(!isRepo(repo) ? { git: repo } : {}),
    ...(drafted ? drafted.result : {}),
  });

  if (options.dryRun) {
    const name = nextPatchName(existingNames(options.patchesDir), date, slug);
    const path = join(options.patchesDir, `${name}.sql`);
    return result(name, path, renderTemplate(templateText, values(name, path)), false);
  }
  try {
    mkdirSync(options.patchesDir, { recursive: true });
  } catch (e) {
    throw new PatchWriteError(options.patchesDir, (e as Error).message);
  }
  for (let attempt = 0; attempt < 20; attempt++) {
    const name = nextPatchName(existingNames(options.patchesDir), date, slug);
    const path = join(options.patchesDir, `${name}.sql`);
    const content = renderTemplate(templateText, values(name, path));
    try {
      writeFileSync(path, content, { flag: 'wx' });
      return result(name, path, content, true);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue; // somebody was quicker: next number
      throw new PatchWriteError(path, (e as Error).message);
    }
  }
  throw new PatchWriteError(options.patchesDir, 'other runs keep taking the names', 'try again');
}

/** The draft and what the result says of it; never throws for a schema that does not build: the stub is written without it. */
async function draftFor(
  options: MakeMigrationOptions,
  repo: GitRepo | undefined,
): Promise<{ sql: string; result: Partial<MakeMigrationResult> }> {
  const d = options.draft!;
  if (!repo) return { sql: '', result: { noDraft: 'no-diff' } };
  const { openScratchServer } = await import('../scratch/server.js');
  const { writeDraft } = await import('./draft.js');
  try {
    const server = await openScratchServer(d.scratch, { ifRunning: true });
    if (!server) return { sql: '', result: { noDraft: 'no-scratch-server' } };
    const draft = await writeDraft({
      repo,
      schemaDir: options.schemaDir,
      entry: d.entry,
      patchesDir: options.patchesDir,
      base: options.base,
      scratchServer: server.target,
      variables: d.variables,
    });
    return {
      sql: draft.sql,
      result: {
        draft: { changes: draft.changes.length, commentedOut: draft.commentedOut, hazards: draft.changes.filter((c) => c.hazard).length },
      },
    };
  } catch (e) {
    let x = e as { message?: string; cause?: unknown };
    const first = String(x?.message ?? e).split('\n')[0];
    while (x?.cause) x = x.cause as typeof x;
    const cause = String(x?.message ?? '').split('\n')[0];
    return { sql: '', result: { noDraft: 'build-failed', draftError: cause && cause !== first ? `${first}: ${cause}` : first } };
  }
}

function existsDir(dir: string): boolean {
  try {
    readdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

async function authorOf(repo: GitRepo | undefined): Promise<string> {
  const a = repo ? await repo.author() : { name: null, email: null };
  let name = a.name;
  if (!name) {
    try {
      name = userInfo().username;
    } catch {
      name = 'unknown';
    }
  }
  return a.email ? `${name} <${a.email}>` : name;
}

function describeBase(noDiff: NoDiffReason | undefined, base: DiffBase | undefined): string {
  if (noDiff === 'empty-flag') return 'nothing (--empty)';
  if (noDiff === 'git-unavailable') return 'nothing (no git work tree)';
  if (noDiff === 'schema-outside-work-tree') return 'nothing (the schema folder is outside the git work tree)';
  if (!base) return 'nothing';
  if (base.mergeBase) return `the merge base with ${base.ref} (${base.commit.slice(0, 12)})`;
  if (base.ref === 'HEAD') return `HEAD (${base.commit.slice(0, 12)}), uncommitted changes`;
  return 'an empty repository (no commits yet)';
}

function noDiffLine(noDiff: NoDiffReason | undefined): string {
  if (noDiff === 'empty-flag') return '(no diff: --empty)';
  if (noDiff === 'git-unavailable') return '(no diff: not in a git work tree)';
  if (noDiff === 'schema-outside-work-tree') return '(no diff: the schema folder is outside the git work tree)';
  return '(no changes to the schema files)';
}

export interface CheckOptions {
  schemaDir: string;
  patchesDir: string;
  projectDir?: string;
  /** Compare against the merge base with this ref; default HEAD (uncommitted changes only). */
  base?: string;
}

export interface CheckResult {
  /** True when no schema file changed, or a new patch came with the changes. */
  ok: boolean;
  base: DiffBase;
  /** Schema files (outside the patches folder) changed against the base. */
  schemaFiles: ChangedFile[];
  /** Patches added against the base (committed, staged or untracked). */
  newPatches: ChangedFile[];
}

/**
 * CI's question: did schema files change against the base without a new patch? Needs git: there
 * is nothing to compare with otherwise, and a check that passes for lack of git checks nothing.
 */
export async function checkMigrations(options: CheckOptions): Promise<CheckResult> {
  const projectDir = resolve(options.projectDir ?? process.cwd());
  const repo = await openRepo(existsDir(options.schemaDir) ? options.schemaDir : projectDir);
  if (!isRepo(repo)) throw GitUnavailableError.from(repo, '--check');
  const { base, files: schemaFiles } = await repo.changedFiles({ include: options.schemaDir, exclude: [options.patchesDir] }, options.base);
  const { files: patchFiles } = await repo.changedFiles({ include: options.patchesDir }, options.base);
  const patches = new Set(findPatches(options.patchesDir).map((p) => resolve(p.path)));
  const newPatches = patchFiles.filter(
    (f) =>
      (f.status === 'added' || f.status === 'untracked' || f.status === 'copied') &&
      patches.has(resolveReal(f.absolutePath, options.patchesDir)),
  );
  return { ok: schemaFiles.length === 0 || newPatches.length > 0, base, schemaFiles, newPatches };
}

/** git reports paths under its (symlink-resolved) root; findPatches under the folder as given. */
function resolveReal(absolutePath: string, patchesDir: string): string {
  try {
    const realDir = realpathSync(patchesDir);
    const rel = relative(realDir, absolutePath);
    return rel.startsWith('..') ? absolutePath : resolve(patchesDir, rel);
  } catch {
    return absolutePath;
  }
}
