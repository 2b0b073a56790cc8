/**
 * The lint command's one engine call: which patches (named, every one, or those the target still
 * has to run), then lintPatches over them.
 */
import type { Target } from '../../../target';
import { findPatches } from '../../patches/files';
import { lookupPatch } from '../../patches/lookup';
import { lintPatches, type LintOptions, type LintResult } from './lint';

export interface LintProjectOptions extends Omit<LintOptions, 'patches'> {
  patchesDir: string;
  /** Patches by name, unique prefix or file (any `.sql` file: a draft outside the folder too). */
  names?: string[];
  /** Every patch, applied or not. */
  all?: boolean;
  /** Without names or all: lint what this database has still to run. */
  target?: Target;
  recordSchema?: string;
  checksumCache?: string;
}

export interface LintProjectResult extends LintResult {
  /** Which patches: those named, every one (asked, or no target to ask), or the target's pending ones. */
  scope: 'named' | 'all' | 'no-target' | 'pending';
}

export async function lintProject(options: LintProjectOptions): Promise<LintProjectResult> {
  const all = findPatches(options.patchesDir);
  let scope: LintProjectResult['scope'];
  let patches = all;
  if (options.names?.length) {
    scope = 'named';
    patches = options.names.map((n) => lookupPatch(all, options.patchesDir, n, { anyFile: true }));
  } else if (options.all) {
    scope = 'all';
  } else if (!options.target) {
    scope = 'no-target';
  } else {
    scope = 'pending';
    const { pendingPatchNames } = await import('./pending.js');
    const pending = await pendingPatchNames({
      target: options.target,
      patchesDir: options.patchesDir,
      recordSchema: options.recordSchema,
      checksumCache: options.checksumCache,
    });
    patches = all.filter((x) => pending.has(x.name));
  }
  return { ...(await lintPatches({ ...options, patches })), scope };
}
