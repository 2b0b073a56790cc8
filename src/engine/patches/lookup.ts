/**
 * The patch a name given on the command line means, for every command that names one (migrate's
 * TARGET, --fake, --skip, --retry, --accept-checksum; sqlmigrate, try, lint): its full name
 * (with or without `.sql`), the only one whose name starts with it, or its file (a path to a
 * patch in the patches folder or its YYYY/MM archive). An exact name wins over longer names it
 * prefixes. One lookup, one set of errors.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { EXIT, PgpatchError } from '../../errors';
import type { PatchFile } from './files';

/** No patch, or more than one, answers to the name given. */
export class PatchLookupError extends PgpatchError {
  readonly code = 'patch_lookup';
  readonly exitCode = EXIT.usage;
  constructor(
    readonly query: string,
    readonly patchesDir: string,
    readonly candidates: string[],
    /** The option that named it (`--fake`), when one did. */
    readonly flag?: string,
    /** The path given is a file, not one of the patches folder's. */
    readonly outside?: boolean,
  ) {
    const label = flag ? `${flag} ${query}: ` : '';
    super(
      outside
        ? `${label}${query} is not a patch of ${patchesDir}`
        : candidates.length
          ? `${label}"${query}" matches ${candidates.length} patches: ${listed(candidates)}`
          : `${label}no patch named "${query}" or starting with it in ${patchesDir}`,
      {
        hint: outside
          ? 'give a patch of the patches folder (or its archive folders), or its name; --patches-dir names another folder'
          : candidates.length
            ? 'give more of the name'
            : 'list the patches with "pgpatch showmigrations", or look in the patches folder',
      },
    );
  }
}

function listed(names: string[], max = 10): string {
  return names.length > max ? `${names.slice(0, max).join(', ')} and ${names.length - max} more` : names.join(', ');
}

export interface LookupOptions {
  /** The option that named it, for the error. */
  flag?: string;
  /** A `.sql` file outside the patches folder is taken as a patch of its own (try and lint read any file). */
  anyFile?: boolean;
}

/** The patch `given` means among `patches` (those of `patchesDir`, as findPatches lists them). */
export function lookupPatch(patches: PatchFile[], patchesDir: string, given: string, options: LookupOptions = {}): PatchFile {
  const file = asFile(given);
  if (file) {
    const real = realpathSync(file);
    // Real paths of every patch only when the plain ones do not match (a symlinked folder).
    const found = patches.find((p) => p.path === file || p.path === real) ?? patches.find((p) => safeReal(p.path) === real);
    if (found) return found;
    if (options.anyFile) return { name: basename(file, '.sql'), path: file, relativePath: given, pre: [], post: [] };
    throw new PatchLookupError(given, patchesDir, [], options.flag, true);
  }
  const name = basename(given.trim()).replace(/\.sql$/, '');
  const exact = name ? patches.find((p) => p.name === name) : undefined;
  if (exact) return exact;
  const matches = name ? patches.filter((p) => p.name.startsWith(name)) : [];
  if (matches.length === 1) return matches[0];
  throw new PatchLookupError(
    given,
    patchesDir,
    matches.map((p) => p.name),
    options.flag,
  );
}

/** A `.sql` file that is there, by the path given (from the working directory): its absolute path. */
function asFile(given: string): string | undefined {
  if (!given.endsWith('.sql')) return undefined;
  const full = resolve(given);
  return existsSync(full) && statSync(full).isFile() ? full : undefined;
}

function safeReal(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
