/**
 * `squashmigrations`: the reference's "divide them into month or year directories". Patches the
 * target database records as applied, assumed or skipped move into `YYYY/MM/` (or `YYYY/`) under
 * the patches folder, with their pre/post scripts. Nothing else changes: patches are found
 * recursively and known by file name alone, so `migrate` and `showmigrations` see the same set.
 *
 * Pending patches (no row) and failed or applying ones never move: somebody still has to deal
 * with them where they are. Patches without a `YYYY-MM-DD` prefix (undated files an earlier
 * version ran, which the record names: see files.ts) stay too, and are reported; other `.sql`
 * files that are not patches stay as `not-a-patch`.
 * The database is only read, in a read-only transaction.
 */
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { EXIT, PgpatchError, UsageError } from '../../errors';
import { connect, type Target } from '../db';
import { isRepo, openRepo, type GitRepo } from '../git';
import { patchDate, scanPatches, withRecorded, type PatchFile } from '../patches/files';
import { readRecord, recordExists, type PatchStatus, type RecordRow } from '../patches/recorder';

const MOVABLE: ReadonlySet<PatchStatus> = new Set(['applied', 'assumed', 'skipped']);

export interface FileMove {
  from: string;
  to: string;
}

export interface PatchMove {
  name: string;
  status: PatchStatus;
  /**
   * The patch has `\i`/`\ir` lines with relative paths: they resolve from the patch's folder,
   * so from the new one after the move. Applied patches do not run again, but
   * `sqlmigrate --expand` of this one will need `--include-root`.
   */
  relativeIncludes: boolean;
  /** The patch first, then its pre and post scripts. */
  files: FileMove[];
}

export type StayReason = 'pending' | 'failed' | 'applying' | 'undated' | 'too-recent' | 'in-place' | 'not-a-patch';

export interface PatchStays {
  name: string;
  path: string;
  reason: StayReason;
}

export interface SquashPlan {
  patchesDir: string;
  moves: PatchMove[];
  stays: PatchStays[];
}

export interface PlanOptions {
  /** One folder per year instead of YYYY/MM. */
  byYear?: boolean;
  /** Only patches dated before this day (YYYY-MM-DD). */
  before?: string;
}

/** Moving files failed part way: `done` lists what was moved, `failed` the move that was not. */
export class SquashError extends PgpatchError {
  readonly code = 'squash';
  readonly exitCode = EXIT.usage;
  constructor(
    readonly failed: FileMove,
    readonly done: FileMove[],
    readonly reason: string,
    hint?: string,
  ) {
    super(`cannot move ${failed.from} to ${failed.to}: ${reason}`, {
      hint: hint ?? (done.length ? `${done.length} file(s) were moved before this one; fix the cause and run it again` : undefined),
    });
  }
}

export function checkDay(value: string, flag: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || !patchDate(value)) throw new UsageError(`${flag} expects a day as YYYY-MM-DD, got "${value}"`);
  return value;
}

/** What would move where. Pure: the patches on disk and the record in, a plan out. */
export function planSquash(patchesDir: string, record: Map<string, RecordRow>, options: PlanOptions = {}): SquashPlan {
  const before = options.before === undefined ? undefined : checkDay(options.before, '--before');
  const plan: SquashPlan = { patchesDir, moves: [], stays: [] };
  const { patches, strays } = withRecorded(scanPatches(patchesDir), (name) => record.has(name));
  for (const s of strays) plan.stays.push({ name: s.name, path: s.path, reason: 'not-a-patch' });
  for (const patch of patches) {
    const stay = (reason: StayReason) => plan.stays.push({ name: patch.name, path: patch.path, reason });
    const row = record.get(patch.name);
    if (!row) {
      stay('pending');
      continue;
    }
    if (!MOVABLE.has(row.status)) {
      stay(row.status === 'failed' ? 'failed' : 'applying');
      continue;
    }
    const date = patchDate(patch.name);
    if (!date) {
      stay('undated');
      continue;
    }
    if (before !== undefined && `${date.year}-${date.month}-${date.day}` >= before) {
      stay('too-recent');
      continue;
    }
    const folder = options.byYear ? join(patchesDir, date.year) : join(patchesDir, date.year, date.month);
    if (dirname(patch.path) === folder) {
      stay('in-place');
      continue;
    }
    plan.moves.push({
      name: patch.name,
      status: row.status,
      relativeIncludes: hasRelativeInclude(patch.path),
      files: filesOf(patch).map((from) => ({ from, to: join(folder, relative(dirname(from), from)) })),
    });
  }
  return plan;
}

function hasRelativeInclude(path: string): boolean {
  try {
    return /^[ \t]*\\(i|ir|include|include_relative)[ \t]+(?!['"]?\/)/m.test(readFileSync(path, 'utf8'));
  } catch {
    return false;
  }
}

function filesOf(patch: PatchFile): string[] {
  return [patch.path, ...patch.pre, ...patch.post];
}

export interface SquashOptions extends PlanOptions {
  target: Target;
  patchesDir: string;
  /** Schema of the schema_patch table (default public). */
  recordSchema?: string;
  dryRun?: boolean;
}

export interface SquashResult extends SquashPlan {
  /** The target, password masked. */
  target: string;
  recordSchema: string;
  /** False when the database has no schema_patch table: then every patch is pending. */
  recordFound: boolean;
  dryRun: boolean;
  /** How files were moved: `git mv` for tracked files inside a work tree, rename otherwise. */
  via: { git: number; rename: number };
}

export async function squashMigrations(options: SquashOptions): Promise<SquashResult> {
  const recordSchema = options.recordSchema ?? 'public';
  const { record, found } = await readRecordReadOnly(options.target, recordSchema);
  const plan = planSquash(options.patchesDir, record, options);
  const result: SquashResult = {
    ...plan,
    target: options.target.display,
    recordSchema,
    recordFound: found,
    dryRun: !!options.dryRun,
    via: { git: 0, rename: 0 },
  };
  if (options.dryRun || plan.moves.length === 0) return result;
  result.via = await moveFiles(plan);
  return result;
}

async function readRecordReadOnly(target: Target, schema: string): Promise<{ record: Map<string, RecordRow>; found: boolean }> {
  const session = await connect(target);
  try {
    await session.query('begin transaction read only');
    const found = await recordExists(session, schema);
    const record = found ? await readRecord(session, schema) : new Map<string, RecordRow>();
    await session.query('rollback');
    return { record, found };
  } finally {
    await session.end();
  }
}

/**
 * Checks every destination first (nothing moves when one is taken), then moves: `git mv` for
 * files git tracks, so history follows them; a plain rename for the others.
 */
export async function moveFiles(plan: SquashPlan): Promise<{ git: number; rename: number }> {
  const all = plan.moves.flatMap((m) => m.files);
  for (const f of all) {
    if (existsSync(f.to)) throw new SquashError(f, [], 'a file is already there', 'move or remove it, then run squashmigrations again');
  }
  const repo = await openRepo(plan.patchesDir);
  const git: GitRepo | undefined = isRepo(repo) && repo.contains(plan.patchesDir) ? repo : undefined;
  const tracked = git ? await git.trackedFiles(plan.patchesDir) : new Set<string>();
  // git lists tracked files under its root, symlinks resolved: compare in those terms.
  const isTracked = (path: string) => git !== undefined && tracked.has(join(git.root, git.relativePath(path) ?? ''));
  const done: FileMove[] = [];
  const via = { git: 0, rename: 0 };
  for (const f of all) {
    try {
      mkdirSync(dirname(f.to), { recursive: true });
      if (git && isTracked(f.from)) {
        await git.move(f.from, f.to);
        via.git++;
      } else {
        renameSync(f.from, f.to);
        via.rename++;
      }
      done.push(f);
    } catch (e) {
      if (e instanceof PgpatchError) throw new SquashError(f, done, e.message, e.hint);
      throw new SquashError(f, done, (e as Error).message);
    }
  }
  return via;
}
