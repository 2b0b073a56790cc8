/**
 * Finds the patches on disk: `*.sql` files under the patches folder, searched recursively so
 * that archive folders (`2024/`, `2024/03/`) keep working, ordered by file name alone in byte
 * order (`2026-11-24~02_b.sql` sorts after `2026-11-24_a.sql` because `~` sorts after `_`).
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

/** All patches under `dir`, in the order they apply. A missing folder has no patches. */
export function findPatches(dir: string): PatchFile[] {
  let exists = true;
  try {
    if (!statSync(dir).isDirectory()) throw new PatchSetError(`patches folder is not a folder: ${dir}`, [dir]);
  } catch (e) {
    if (e instanceof PatchSetError) throw e;
    exists = false;
  }
  if (!exists) return [];
  const byName = new Map<string, PatchFile>();
  let duplicates = new Map<string, string[]>();
  /** Where each name was first found twice: the folder's place in the walk. */
  const twiceIn = new Map<string, number>();
  let folders = 0;
  // Without a trailing separator, so that folder + sep + file below stays a clean path.
  walk(dir.length > 1 && dir.endsWith(sep) ? dir.slice(0, -1) : dir, (folder, patchFiles, linked, others) => {
    folders++;
    // The scripts of the folder by patch, in one pass: scanning the folder again for each patch
    // was quadratic, ~1 s for a folder of 1,000 patches. Only names with .pre or .post in them can
    // be scripts, and most folders have none: then no set of names is built.
    let hooks: Map<string, { pre: string[]; post: string[] }> | undefined;
    let scriptFiles: Set<string> | undefined;
    if (others.length) {
      const sqlNames = new Set(patchFiles.map(patchNameOf));
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
    checkPatchFiles(folder, patchFiles, linked, scriptFiles);
    for (let i = 0; i < patchFiles.length; i++) {
      const f = patchFiles[i];
      if (scriptFiles?.has(f)) continue;
      const name = patchNameOf(f);
      const path = folder + sep + f;
      // Most patches have no scripts: they share one empty list (nothing adds to these lists).
      const scripts = hooks?.get(name) ?? NO_SCRIPTS;
      const patch: PatchFile = { name, path, relativePath: relPrefix + f, pre: scripts.pre, post: scripts.post };
      const seen = byName.get(name);
      if (seen) {
        duplicates.set(name, [...(duplicates.get(name) ?? [seen.path]), path]);
        if (!twiceIn.has(name)) twiceIn.set(name, folders);
      } else byName.set(name, patch);
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
  return sortByteOrder([...byName.values()], (p) => p.name);
}

/**
 * checkPatchFile on each patch of a folder. Files come in readdir's order; a refusal names the
 * first bad patch in name order, whatever the file system's order (sorted only then).
 */
function checkPatchFiles(folder: string, patchFiles: string[], linked: boolean[], scriptFiles: Set<string> | undefined): void {
  const check = (i: number) => {
    if (!scriptFiles?.has(patchFiles[i])) checkPatchFile(patchNameOf(patchFiles[i]), folder + sep + patchFiles[i], linked[i]);
  };
  try {
    for (let i = 0; i < patchFiles.length; i++) check(i);
  } catch (e) {
    if (!(e instanceof PatchSetError)) throw e;
    for (const i of sortByteOrder(
      patchFiles.map((_, i) => i),
      (i) => patchFiles[i],
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
 * Visits `dir` and its folders (not hidden ones): the folder's `.sql` files (whether each is a
 * symbolic link) and its files whose names could be scripts (.sql ones too), in the order readdir gives
 * them: findPatches sorts what needs an order. One pass per folder, no array per kind of entry.
 */
function walk(dir: string, visit: (folder: string, patchFiles: string[], linked: boolean[], others: string[]) => void): void {
  const entries = readdirSync(dir, { withFileTypes: true });
  const patchFiles: string[] = [];
  const linked: boolean[] = [];
  const others: string[] = [];
  const folders: string[] = [];
  for (const e of entries) {
    const link = e.isSymbolicLink();
    if (link || e.isFile()) {
      if (e.name.endsWith('.sql')) {
        patchFiles.push(e.name);
        linked.push(link);
      }
      // `NAME.pre.sql` beside `NAME.sql` is a script too, not a patch.
      if (e.name.includes('.pre') || e.name.includes('.post')) others.push(e.name);
    } else if (e.isDirectory() && !e.name.startsWith('.')) {
      folders.push(e.name);
    }
  }
  visit(dir, patchFiles, linked, others);
  for (const f of folders) walk(join(dir, f), visit);
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
