/**
 * `try --scratch`: the patch runs on a database built for it and dropped after, so a patch that
 * commits (its own BEGIN ... COMMIT, CONCURRENTLY, VACUUM) can be tried too. The database is
 * built the way check builds its B side, stopping before the patch: the schema files as they
 * were at the base commit, the patches of that commit recorded as assumed, then the patches
 * added since that sort before this one, applied by migrate.
 */
import type { ScratchChoice } from '../../../target';
import { scratchTarget } from '../../scratch/server';
import { byteOrder, findPatches } from '../../patches/files';
import type { BaseTree } from '../../scratch/base-tree';
import { applyPatches, loadAtBase } from '../../scratch/build';
import { withScratchDatabase } from '../../scratch/databases';
import { tryPatch, type TryOptions, type TryResult } from './try';

export interface ScratchTryOptions extends Omit<TryOptions, 'target' | 'onScratch' | 'scratch'> {
  /** Where the scratch database is made, and the schema files built for the comparison. */
  scratch: ScratchChoice;
  /** Compare the result with the schema files. */
  compareWithFiles: boolean;
  patchesDir: string;
  base: BaseTree;
}

export async function tryOnScratch(options: ScratchTryOptions): Promise<TryResult> {
  const { base, patch } = options;
  const recordSchema = options.recordSchema ?? 'public';
  const server = await scratchTarget(options.scratch, options.onEvent);
  return withScratchDatabase(server, 'pgpatch_try_scratch', async (db) => {
    const basePatches = await loadAtBase(db, base, {
      entry: options.entry,
      patchesDir: options.patchesDir,
      recordSchema,
      variables: options.compile?.variables,
    });
    const inBase = new Set(basePatches.map((p) => p.name));
    const earlier = findPatches(options.patchesDir).filter((p) => byteOrder(p.name, patch.name) < 0 && !inBase.has(p.name));
    if (earlier.length) {
      await applyPatches(
        db,
        {
          patchesDir: options.patchesDir,
          entry: options.entry,
          recordSchema,
          upTo: earlier[earlier.length - 1].name,
          variables: options.compile?.variables,
        },
        'the patches before it',
      );
    }
    const result = await tryPatch({
      ...options,
      target: db,
      onScratch: true,
      scratch: options.compareWithFiles ? { target: server } : undefined,
    });
    const since = earlier.length ? ` and ${earlier.length} patch${earlier.length === 1 ? '' : 'es'} since` : '';
    return { ...result, scratch: `the schema files at ${base.ref} (${base.commit.slice(0, 12)})${since}` };
  });
}
