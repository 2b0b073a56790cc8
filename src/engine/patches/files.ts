/**
 * Finds the patches on disk. A patch is a `.sql` file whose name starts with a real date
 * (`YYYY-MM-DD`, not followed by a digit), in the patches folder or its archive folders `YYYY/`
 * and `YYYY/MM/` (where squashmigrations puts them). They are ordered by file name alone, in byte
 * order (`2026-11-24~02_b.sql` sorts after `2026-11-24_a.sql` because `~` sorts after `_`).
 * Hidden files and folders are ignored.
 *
 * Anything else is never run as a patch: files kept beside the patches for `\ir` (`lib/seed.sql`)
 * are left alone, and a `.sql` file that looks meant as a patch but is not one (no date or not a
 * real date in a patch folder, `README.sql`, `2026-13-45_x.sql`; a dated file in another folder)
 * is a stray, which migrate, showmigrations and the plan report, so that a typo does not make a
 * patch silently never run. A stray the record already names stays a patch (`withRecorded`):
 * earlier versions ran every `.sql` file under the patches folder, and those must keep working.
 *
 * Beside a patch `NAME.sql`, executables `NAME.pre.*` and `NAME.post.*` run before and after it.
 */
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { PatchSetError } from '../../errors';

export interface PatchFile {
  /** The patch's name: its file name without `.sql`. This is what the record keeps. */
  name: string;
  /** Absolute path of the `.sql` file. */
  path: string;
  /** Path relative to the patches folder (shows archive folders). */
  relativePath: string;
  /** Executables to run before and after the patch, in name order. */
  pre: string[];
  post: string[];
}

/** Why a `.sql` file that looks meant as a patch is not one. */
export type StrayReason =
  /** In a patch folder, its name does not start with a date (`README.sql`, `001_init.sql`). */
  | 'no_date'
  /** In a patch folder, its name starts with something like a date that is not one (`2026-13-45_x.sql`). */
  | 'not_a_date'
  /** Named by a date, but in a folder that is not the patches folder or an archive folder of it. */
  | 'misplaced';

export interface StrayFile extends PatchFile {
  reason: StrayReason;
}

/** A stray as results report it (JSON): its name, its path under the patches folder, and why it is not a patch. */
export interface NotPatch {
  name: string;
  file: string;
  reason: StrayReason;
}

export function notPatch(s: StrayFile): NotPatch {
  return { name: s.name, file: s.relativePath, reason: s.reason };
}

/** What the patches folder holds: the patches, and the files that look meant as patches but are not. */
export interface PatchScan {
  /** In the order they apply. */
  patches: PatchFile[];
  /** In byte order of their path under the patches folder. */
  strays: StrayFile[];
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** Where `YYYY-MM-DD` has digits. */
const DATE_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9];
const isDigit = (c: number) => c >= 48 && c <= 57;
const digits = (s: string, from: number, to: number) => {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + (s.charCodeAt(i) - 48);
  return n;
};

/**
 * Whether `name` starts like a date, `DDDD-DD-DD` not followed by a digit, and whether that is a
 * real day (1000-01-01 to 9999-12-31). Character codes rather than a regex and a Date: it runs
 * for each of 10,000 patches on every run.
 */
function dateOf(name: string): 'date' | 'not_a_date' | 'none' {
  if (name.length < 10 || isDigit(name.charCodeAt(10))) return 'none';
  for (const i of DATE_DIGITS) if (!isDigit(name.charCodeAt(i))) return 'none';
  if (name.charCodeAt(4) !== 45 || name.charCodeAt(7) !== 45) return 'none';
  const year = digits(name, 0, 4);
  const month = digits(name, 5, 7);
  const day = digits(name, 8, 10);
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > DAYS_IN_MONTH[month - 1]) return 'not_a_date';
  if (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) return 'not_a_date';
  return 'date';
}

/** `YYYY-MM-DD` of a patch name, when it starts with a real date (what makes a `.sql` file a patch). */
export function patchDate(name: string): { year: string; month: string; day: string } | undefined {
  if (dateOf(name) !== 'date') return undefined;
  return { year: name.slice(0, 4), month: name.slice(5, 7), day: name.slice(8, 10) };
}

/** The patches folder itself, an archive folder `YYYY/` in it, or `YYYY/MM/` in one of those; or another folder. */
type FolderKind = 'top' | 'year' | 'month' | 'other';

function kindOf(parent: FolderKind, name: string): FolderKind {
  if (parent === 'top' && name.length === 4 && [0, 1, 2, 3].every((i) => isDigit(name.charCodeAt(i)))) return 'year';
  if (parent === 'year' && /^(0[1-9]|1[0-2])$/.test(name)) return 'month';
  return 'other';
}

export function patchNameOf(fileName: string): string {
  return fileName.endsWith('.sql') ? fileName.slice(0, -4) : fileName;
}

/**
 * UTF-8 byte order. It equals JavaScript's UTF-16 order except around surrogate pairs, so
 * only names holding one pay for the encoding.
 */
export function byteOrder(a: string, b: string): number {
  if (SURROGATE.test(a) || SURROGATE.test(b)) return Buffer.compare(Buffer.from(a), Buffer.from(b));
  return a < b ? -1 : a > b ? 1 : 0;
}

const SURROGATE = /[\ud800-\udfff]/;

/**
 * Sorts in place by `byteOrder` of `key`, looking for surrogates once per item rather than
 * twice per comparison (~130,000 comparisons for 10,000 patches).
 */
export function sortByteOrder<T>(items: T[], key: (item: T) => string): T[] {
  if (items.some((x) => SURROGATE.test(key(x)))) return items.sort((a, b) => byteOrder(key(a), key(b)));
  return items.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

const NO_SCRIPTS: { pre: string[]; post: string[] } = Object.freeze({
  pre: Object.freeze([]) as unknown as string[],
  post: Object.freeze([]) as unknown as string[],
});

/** All patches under `dir`, in the order they apply (strays left out: see scanPatches). A missing folder has no patches. */
export function findPatches(dir: string): PatchFile[] {
  return scanPatches(dir).patches;
}

/** The patches under `dir` and the strays (see the top of this file). A missing folder has neither. */
export function scanPatches(dir: string): PatchScan {
  let exists = true;
  try {
    if (!statSync(dir).isDirectory()) throw new PatchSetError(`patches folder is not a folder: ${dir}`, [dir]);
  } catch (e) {
    if (e instanceof PatchSetError) throw e;
    exists = false;
  }
  if (!exists) return { patches: [], strays: [] };
  const byName = new Map<string, PatchFile>();
  const strays: StrayFile[] = [];
  let duplicates = new Map<string, string[]>();
  /** Where each name was first found twice: the folder's place in the walk. */
  const twiceIn = new Map<string, number>();
  let folders = 0;
  // Without a trailing separator, so that folder + sep + file below stays a clean path.
  walk(dir.length > 1 && dir.endsWith(sep) ? dir.slice(0, -1) : dir, 'top', (folder, kind, sqlFiles, linked, others) => {
    folders++;
    // The scripts of the folder by patch, in one pass: scanning the folder again for each patch
    // was quadratic, ~1 s for a folder of 1,000 patches. Only names with .pre or .post in them can
    // be scripts, and most folders have none: then no set of names is built.
    let hooks: Map<string, { pre: string[]; post: string[] }> | undefined;
    let scriptFiles: Set<string> | undefined;
    const names = sqlFiles.map(patchNameOf);
    if (others.length) {
      const sqlNames = new Set(names);
      for (const f of others) {
        const m = /^(.*)\.(pre|post)\.[^.]+$/.exec(f) ?? /^(.*)\.(pre|post)$/.exec(f);
        if (!m || !sqlNames.has(m[1])) continue;
        hooks ??= new Map();
        (scriptFiles ??= new Set()).add(f);
        const entry = hooks.get(m[1]) ?? { pre: [], post: [] };
        entry[m[2] as 'pre' | 'post'].push(f);
        hooks.set(m[1], entry);
      }
      // In name order (byte order), and as paths.
      for (const entry of hooks?.values() ?? []) {
        for (const list of [entry.pre, entry.post]) {
          sortByteOrder(list, (f) => f);
          for (let i = 0; i < list.length; i++) list[i] = join(folder, list[i]);
        }
      }
    }
    // Plain concatenation: path.join per file was ~10 % of a showmigrations on 10,000 patches,
    // and `folder` is already normalized (it comes from join or the caller's resolve).
    const relFolder = relative(dir, folder);
    const relPrefix = relFolder ? relFolder + sep : '';
    // What each .sql file is: a patch, a stray (undefined: a patch), or nothing of ours (null).
    const reasons = sqlFiles.map((f, i): StrayReason | undefined | null => {
      if (scriptFiles?.has(f)) return null;
      const date = dateOf(names[i]);
      if (kind === 'other') return date === 'date' ? 'misplaced' : null;
      return date === 'date' ? undefined : date === 'none' ? 'no_date' : 'not_a_date';
    });
    if (reasons.includes(null)) {
      checkPatchFiles(
        folder,
        sqlFiles.filter((_, i) => reasons[i] !== null),
        linked.filter((_, i) => reasons[i] !== null),
      );
    } else checkPatchFiles(folder, sqlFiles, linked);
    for (let i = 0; i < sqlFiles.length; i++) {
      const reason = reasons[i];
      if (reason === null) continue;
      const f = sqlFiles[i];
      const name = names[i];
      const path = folder + sep + f;
      // Most patches have no scripts: they share one empty list (nothing adds to these lists).
      const scripts = hooks?.get(name) ?? NO_SCRIPTS;
      const patch: PatchFile = { name, path, relativePath: relPrefix + f, pre: scripts.pre, post: scripts.post };
      const seen = byName.get(name);
      if (seen) {
        duplicates.set(name, [...(duplicates.get(name) ?? [seen.path]), path]);
        if (!twiceIn.has(name)) twiceIn.set(name, folders);
        continue;
      }
      if (reason === undefined) byName.set(name, patch);
      else {
        const stray: StrayFile = { ...patch, reason };
        byName.set(name, stray);
        strays.push(stray);
      }
    }
  });
  if (duplicates.size) {
    // Named in the order a walk of each folder in name order finds them (files come in
    // readdir's order here), so that the message does not depend on the file system.
    duplicates = new Map([...duplicates].sort(([a], [b]) => twiceIn.get(a)! - twiceIn.get(b)! || byteOrder(a, b)));
    const files = [...duplicates.values()].flat();
    throw new PatchSetError(
      `${duplicates.size === 1 ? 'a patch name is' : 'patch names are'} used twice: ${[...duplicates.keys()].join(', ')}`,
      files,
      'patches are identified by file name alone; rename or remove one of each pair',
    );
  }
  const patches: PatchFile[] = [];
  for (const p of byName.values()) if (!('reason' in p)) patches.push(p);
  return { patches: sortByteOrder(patches, (p) => p.name), strays: sortByteOrder(strays, (s) => s.relativePath) };
}

/**
 * The patches of a database that has a record: the scan's, and the strays the record names
 * (earlier versions ran every `.sql` file under the patches folder as a patch: what they ran
 * stays a patch, so that its record keeps matching a file). The strays left are the others.
 */
export function withRecorded(scan: PatchScan, recorded: (name: string) => boolean): PatchScan {
  if (!scan.strays.some((s) => recorded(s.name))) return scan;
  const patches: PatchFile[] = [...scan.patches];
  const strays: StrayFile[] = [];
  // The stray objects themselves: Checksums.prefetch knows them (see everyCandidate).
  for (const s of scan.strays) (recorded(s.name) ? patches : strays).push(s);
  return { patches: sortByteOrder(patches, (p) => p.name), strays };
}

/**
 * The patches and the strays in the order of their names: what may be a patch before the
 * record is read (Checksums.prefetch then stats them in the order withRecorded gives them).
 */
export function everyCandidate(scan: PatchScan): PatchFile[] {
  return scan.strays.length ? sortByteOrder([...scan.patches, ...scan.strays], (p) => p.name) : scan.patches;
}

/**
 * checkPatchFile on each candidate of a folder. Files come in readdir's order; a refusal names the
 * first bad one in name order, whatever the file system's order (sorted only then).
 */
function checkPatchFiles(folder: string, files: string[], linked: boolean[]): void {
  const check = (i: number) => checkPatchFile(patchNameOf(files[i]), folder + sep + files[i], linked[i]);
  try {
    for (let i = 0; i < files.length; i++) check(i);
  } catch (e) {
    if (!(e instanceof PatchSetError)) throw e;
    for (const i of sortByteOrder(
      files.map((_, i) => i),
      (i) => files[i],
    ))
      check(i);
    throw e;
  }
}

/**
 * Refuses, before anything runs, a patch that could not be read or named: a symbolic link to
 * nothing, a loop of links, a link to something that is not a file, and a name starting with
 * `-`, which every command that takes a patch name (migrate TARGET, --fake, sqlmigrate, make
 * sqlmigrate NAME=...) would read as an option.
 */
function checkPatchFile(name: string, path: string, isLink: boolean): void {
  const refuse = (reason: string, hint?: string): never => {
    throw new PatchSetError(`patch file ${name}.sql ${reason}`, [path], hint);
  };
  if (name.startsWith('-')) {
    refuse('has a name starting with "-", which a command line would take for an option', 'rename it (patch names start with their date)');
  }
  if (!isLink) return;
  try {
    if (!statSync(path).isFile()) refuse('is a symbolic link to something that is not a file');
  } catch (e) {
    if (e instanceof PatchSetError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    refuse(
      code === 'ELOOP'
        ? 'is a loop of symbolic links'
        : code === 'ENOENT'
          ? 'is a symbolic link to a file that does not exist'
          : `cannot be read: ${(e as Error).message}`,
      'fix or remove the link',
    );
  }
}

/**
 * Visits `dir` and its folders (not hidden ones), each with its kind: the folder's `.sql` files
 * (whether each is a symbolic link) and its files whose names could be scripts (.sql ones too),
 * hidden files left out, in the order readdir gives them: scanPatches sorts what needs an order.
 * One pass per folder, no array per kind of entry.
 */
function walk(
  dir: string,
  kind: FolderKind,
  visit: (folder: string, kind: FolderKind, sqlFiles: string[], linked: boolean[], others: string[]) => void,
): void {
  const entries = readdirSync(dir, { withFileTypes: true });
  const sqlFiles: string[] = [];
  const linked: boolean[] = [];
  const others: string[] = [];
  const folders: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const link = e.isSymbolicLink();
    if (link || e.isFile()) {
      if (e.name.endsWith('.sql')) {
        sqlFiles.push(e.name);
        linked.push(link);
      }
      // `NAME.pre.sql` beside `NAME.sql` is a script too, not a patch.
      if (e.name.includes('.pre') || e.name.includes('.post')) others.push(e.name);
    } else if (e.isDirectory()) {
      folders.push(e.name);
    }
  }
  visit(dir, kind, sqlFiles, linked, others);
  for (const f of folders) walk(join(dir, f), kindOf(kind, f), visit);
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
