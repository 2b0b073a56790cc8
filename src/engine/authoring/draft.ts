/**
 * The draft of a new patch: the statements that turn the schema files at the base (HEAD, or the
 * merge base with --base) and the patches written since then into the schema files of the
 * working tree, both built in scratch databases and compared (the diff engine), so a draft
 * never repeats a patch already written. A draft for a person to read: statements that
 * destroy data are written commented out with the reason, lock hazards are noted beside their
 * statement, and nothing is renamed (a rename is offered in a comment).
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DiffBase, GitRepo } from '../git';
import type { Change } from '../schema/diff/change';
import { planDiff } from '../schema/diff/plan';
import { changesAsSql } from '../schema/diff/script';
import type { Target } from '../../target';
import { applyPatches, loadAtBase, schemaFilesModel, type BuiltSchema } from '../scratch/build';
import { withScratchDatabase } from '../scratch/databases';
import { withSession } from '../db';
import { inspectDatabase, inspectDependencies } from '../schema/inspect/inspect';
import { quoteQualified } from '../../quote';

export interface DraftOptions {
  repo: GitRepo;
  schemaDir: string;
  /** The entry file of the schema files (database.sql), in the working tree. */
  entry: string;
  patchesDir: string;
  recordSchema?: string;
  base?: string;
  /** A server where pgpatch may create and drop databases. */
  scratchServer: Target;
  variables?: Record<string, string>;
}

export interface Draft {
  /** The statements as the patch holds them (between BEGIN and COMMIT); empty when nothing changed. */
  sql: string;
  changes: Change[];
  base: DiffBase;
  /** Statements written commented out because they destroy data. */
  commentedOut: number;
}

export async function writeDraft(options: DraftOptions): Promise<Draft> {
  const dir = mkdtempSync(join(tmpdir(), 'pgpatch-draft-'));
  try {
    const base = await options.repo.exportTree(options.base ?? 'HEAD', options.schemaDir, dir);
    const [from, to] = await Promise.all([
      atBaseAndPatches(options, { ref: options.base ?? 'HEAD', commit: base.commit, root: dir, repoRoot: options.repo.root }),
      schemaFilesModel(options.scratchServer, options.entry, { prefix: 'pgpatch_draft', dependencies: true, variables: options.variables }),
    ]);
    const changes = planDiff({ from: from.model, to: to.model, fromDependencies: from.dependencies, toDependencies: to.dependencies });
    const sql = changesAsSql(changes, { commentOutDataLoss: true, explain: true });
    return { sql, changes, base, commentedOut: changes.filter((c) => c.dataLoss).length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The schema files at the base (none: an empty database) with the patches of the working tree
 * the base lacks applied by migrate's engine, read without the record those patches needed.
 */
function atBaseAndPatches(
  options: DraftOptions,
  tree: { ref: string; commit: string; root: string; repoRoot: string },
): Promise<BuiltSchema> {
  const recordSchema = options.recordSchema ?? 'public';
  const paths = {
    entry: realpathSync(options.entry),
    patchesDir: realpathSync(options.patchesDir),
    recordSchema,
    variables: options.variables,
  };
  return withScratchDatabase(options.scratchServer, 'pgpatch_draft', async (db) => {
    await loadAtBase(db, { ...tree, cleanup: async () => undefined }, paths);
    await applyPatches(db, paths, 'the patches written since the base');
    return withSession(db, async (s) => {
      await s.query(`drop table ${quoteQualified(recordSchema, 'schema_patch')}`);
      return { model: await inspectDatabase(s), dependencies: await inspectDependencies(s) };
    });
  });
}
