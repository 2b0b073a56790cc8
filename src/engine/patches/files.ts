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

const NO_SCRIPTS: { pre: string[]; post: string[] } = Object.freeze({ pre: Object.freeze([]) as unknown as string[], post: Object.freeze([]) as unknown as string[] });

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
  const duplicates = new Map<string, string[]>();
  // Without a trailing separator, so that folder + sep + file below stays a clean path.
  walk(dir.length > 1 && dir.endsWith(sep) ? dir.slice(0, -1) : dir, (folder, files, links) => {
    const sqlNames = new Set(files.filter((f) => f.endsWith('.sql')).map(patchNameOf));
    const isHook = (f: string) => {
      // Only names with .pre or .post in them can be scripts: most files skip both regexes.
      if (!f.includes('.pre') && !f.includes('.post')) return undefined;
      const m = /^(.*)\.(pre|post)\.[^.]+$/.exec(f) ?? /^(.*)\.(pre|post)$/.exec(f);
      return m && sqlNames.has(m[1]) ? { patch: m[1], when: m[2] as 'pre' | 'post' } : undefined;
    };
    // The scripts of the folder by patch, in one pass (files arrive in byte order): scanning
    // the folder again for each patch was quadratic, ~1 s for a folder of 1,000 patches.
    const hooks = new Map<string, { pre: string[]; post: string[] }>();
    const patchFiles: string[] = [];
    for (const f of files) {
      const k = isHook(f);
      if (k) {
        const entry = hooks.get(k.patch) ?? { pre: [], post: [] };
        entry[k.when].push(join(folder, f));
        hooks.set(k.patch, entry);
      } else if (f.endsWith('.sql')) {
        patchFiles.push(f);
      }
    }
    // Plain concatenation: path.join per file was ~10 % of a showmigrations on 10,000 patches,
    // and `folder` is already normalized (it comes from join or the caller's resolve).
    const relFolder = relative(dir, folder);
    const relPrefix = relFolder ? relFolder + sep : '';
    for (const f of patchFiles) {
      const name = patchNameOf(f);
      const path = folder + sep + f;
      checkPatchFile(name, path, links.has(f));
      // Most patches have no scripts: they share one empty list (nothing adds to these lists).
      const scripts = hooks.get(name) ?? NO_SCRIPTS;
      const patch: PatchFile = { name, path, relativePath: relPrefix + f, pre: scripts.pre, post: scripts.post };
      const seen = byName.get(name);
      if (seen) duplicates.set(name, [...(duplicates.get(name) ?? [seen.path]), path]);
      else byName.set(name, patch);
    }
  });
  if (duplicates.size) {
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
    refuse(code === 'ELOOP' ? 'is a loop of symbolic links' : code === 'ENOENT' ? 'is a symbolic link to a file that does not exist' : `cannot be read: ${(e as Error).message}`,
      'fix or remove the link');
  }
}

function walk(dir: string, visit: (folder: string, files: string[], links: Set<string>) => void): void {
  const entries = readdirSync(dir, { withFileTypes: true });
  const links = new Set(entries.filter((e) => e.isSymbolicLink()).map((e) => e.name));
  visit(dir, sortByteOrder(entries.filter((e) => e.isFile() || e.isSymbolicLink()).map((e) => e.name), (name) => name), links);
  for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.')) walk(join(dir, e.name), visit);
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
