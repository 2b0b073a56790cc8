/**
 * The draft of a new patch: the statements that turn the schema files at the base (HEAD, or the
 * merge base with --base) into the schema files of the working tree, both built in scratch
 * databases and compared (the diff engine). A draft for a person to read: statements that
 * destroy data are written commented out with the reason, lock hazards are noted beside their
 * statement, and nothing is renamed (a rename is offered in a comment).
 */
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { DiffBase, GitRepo } from '../git';
import type { Change } from '../schema/diff/change';
import { planDiff } from '../schema/diff/plan';
import { changesAsSql } from '../schema/diff/script';
import type { Target } from '../../target';
import { schemaFilesModel } from '../scratch/build';

export interface DraftOptions {
  repo: GitRepo;
  schemaDir: string;
  /** The entry file of the schema files (database.sql), in the working tree. */
  entry: string;
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
    // git reports its root with symlinks resolved.
    let baseEntry = join(dir, relative(options.repo.root, realpathSync(options.entry)));
    // A base without schema files yet: the draft creates everything.
    if (!existsSync(baseEntry)) {
      baseEntry = join(dir, 'pgpatch-empty-base.sql');
      writeFileSync(baseEntry, '');
    }
    const [from, to] = await Promise.all([
      schemaFilesModel(options.scratchServer, baseEntry, { prefix: 'pgpatch_draft', dependencies: true, variables: options.variables }),
      schemaFilesModel(options.scratchServer, options.entry, { prefix: 'pgpatch_draft', dependencies: true, variables: options.variables }),
    ]);
    const changes = planDiff({ from: from.model, to: to.model, fromDependencies: from.dependencies, toDependencies: to.dependencies });
    const sql = changesAsSql(changes, { commentOutDataLoss: true, explain: true });
    return { sql, changes, base, commentedOut: changes.filter((c) => c.dataLoss).length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
