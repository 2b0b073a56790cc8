/**
 * `try --scratch`: the patch runs on a database built for it and dropped after, so a patch that
 * commits (its own BEGIN ... COMMIT, CONCURRENTLY, VACUUM) can be tried too. The database is
 * built the way check builds its B side, stopping before the patch: the schema files as they
 * were at the base commit, the patches of that commit recorded as assumed, then the patches
 * added since that sort before this one, applied by migrate.
 */
import { CheckBuildError } from '../../../errors';
import { migrate } from '../../migrate/migrate';
import { byteOrder, findPatches } from '../../patches/files';
import type { BaseTree } from '../../schema/check/base-tree';
import { buildAtBase } from '../../schema/check/check';
import { withScratchDatabase } from '../../schema/check/scratch';
import { tryPatch, type TryOptions, type TryResult } from './try';

export interface ScratchTryOptions extends Omit<TryOptions, 'target' | 'scratch' | 'scratchUrl'> {
  /** Where the scratch database is made. */
  scratchUrl: string;
  /** Where the schema files are built for the comparison; without it, left out. */
  schemaFilesUrl?: string;
  patchesDir: string;
  base: BaseTree;
}

export async function tryOnScratch(options: ScratchTryOptions): Promise<TryResult> {
  const { base, patch } = options;
  const recordSchema = options.recordSchema ?? 'public';
  return withScratchDatabase(options.scratchUrl, 'pgpatch_try_scratch', async (db) => {
    const basePatches = await buildAtBase(db, base, {
      entry: options.entry,
      patchesDir: options.patchesDir,
      recordSchema,
      variables: options.compile?.variables,
    });
    const inBase = new Set(basePatches.map((p) => p.name));
    const earlier = findPatches(options.patchesDir).filter((p) => byteOrder(p.name, patch.name) < 0 && !inBase.has(p.name));
    if (earlier.length) {
      await build('the patches before it', () =>
        migrate({
          target: db,
          patchesDir: options.patchesDir,
          entry: options.entry,
          recordSchema,
          upTo: earlier[earlier.length - 1].name,
          variables: options.compile?.variables,
        }),
      );
    }
    const result = await tryPatch({ ...options, target: db, scratch: true, scratchUrl: options.schemaFilesUrl });
    const since = earlier.length ? ` and ${earlier.length} patch${earlier.length === 1 ? '' : 'es'} since` : '';
    return { ...result, scratch: `the schema files at ${base.ref} (${base.commit.slice(0, 12)})${since}` };
  });
}

async function build<T>(which: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw new CheckBuildError(which, e);
  }
}
