/**
 * `try --scratch`: the patch runs on a database built for it and dropped after, so a patch that
 * commits (its own BEGIN ... COMMIT, CONCURRENTLY, VACUUM) can be tried too. The database is
 * built the way check builds its B side, stopping before the patch: the schema files as they
 * were at the base commit, the patches of that commit recorded as assumed, then the patches
 * added since that sort before this one, applied by migrate.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CheckBuildError } from '../../../errors';
import { withSession } from '../../db';
import { migrate } from '../../migrate/migrate';
import { checksumOf } from '../../patches/checksums';
import { byteOrder, findPatches } from '../../patches/files';
import { ensureRecord, writeRecords } from '../../patches/recorder';
import type { BaseTree } from '../../schema/check/base-tree';
import { withScratchDatabase } from '../../schema/check/scratch';
import { loadScript } from '../../script/load';
import { tryPatch, type TryOptions, type TryResult } from './try';

export interface ScratchTryOptions extends Omit<TryOptions, 'target' | 'scratch' | 'scratchUrl'> {
  /** Where the scratch database is made. */
  scratchUrl: string;
  /** Where the schema files are built for the comparison; without it, left out. */
  schemaFilesUrl?: string;
  projectRoot: string;
  patchesDir: string;
  base: BaseTree;
}

export async function tryOnScratch(options: ScratchTryOptions): Promise<TryResult> {
  const { base, patch } = options;
  const rel = (p: string) => join(base.root, relative(options.projectRoot, p));
  const recordSchema = options.recordSchema ?? 'public';
  return withScratchDatabase(options.scratchUrl, 'pgpatch_try_scratch', async (db) => {
    if (existsSync(rel(options.entry))) {
      await build(`the schema files at ${base.ref}`, () => loadScript({ target: db, entry: rel(options.entry), variables: options.compile?.variables }));
    }
    const basePatches = findPatches(rel(options.patchesDir));
    await withSession(db, async (s) => {
      await ensureRecord(s, recordSchema);
      await writeRecords(s, recordSchema, basePatches.map((p) => ({ name: p.name, status: 'assumed', checksum: checksumOf(p.path) })));
    });
    const inBase = new Set(basePatches.map((p) => p.name));
    const earlier = findPatches(options.patchesDir).filter((p) => byteOrder(p.name, patch.name) < 0 && !inBase.has(p.name));
    if (earlier.length) {
      await build('the patches before it', () => migrate({
        target: db, patchesDir: options.patchesDir, entry: options.entry, recordSchema, upTo: earlier[earlier.length - 1].name,
        variables: options.compile?.variables,
      }));
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
