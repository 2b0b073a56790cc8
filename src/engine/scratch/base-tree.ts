/** The schema folder as it was at a commit, copied to a temporary folder: check's B side starts there. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../errors';
import { isRepo, openRepo } from '../git';

export interface BaseTree {
  /** What the user asked for (a ref) and the commit it resolved to. */
  ref: string;
  commit: string;
  /** The temporary copy of the project root at that commit (only the schema folder is there). */
  root: string;
  /** The root of the git work tree the schema folder is in. */
  repoRoot: string;
  cleanup(): Promise<void>;
}

/**
 * Exports `schemaDir` at the merge base of `ref` (default: the repository's main branch) and
 * HEAD. `command` names who needs it, for the error outside a git work tree.
 */
export async function exportBaseTree(schemaDir: string, ref?: string, command = 'check'): Promise<BaseTree> {
  const repo = await openRepo(schemaDir);
  if (!isRepo(repo)) throw new UsageError(`${command} needs the git history of ${schemaDir}: ${repo.detail}`, { hint: repo.hint });
  await repo.refresh();
  const base = ref ?? (await repo.defaultBase());
  const dir = await mkdtemp(join(tmpdir(), 'pgpatch-base-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  // An unknown ref fails here: the folder must not stay behind.
  const against = await repo.exportTree(base, schemaDir, dir).catch(async (e) => {
    await cleanup();
    throw e;
  });
  return { ref: base, commit: against.commit, root: dir, repoRoot: repo.root, cleanup };
}
