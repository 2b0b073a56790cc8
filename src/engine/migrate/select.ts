/**
 * What a migrate run does, decided in one place: the run and its plan (--plan, --dry-run,
 * --check) both call selectPatches, so the plan says what the run then does, and refuses what
 * the run would refuse, with the same error. Nothing here writes.
 */
import { PatchInvalidError, PatchSetError, UsageError } from '../../errors';
import { checksumOf, checksumOfBytes, type Checksums } from '../patches/checksums';
import { isExecutable, type PatchFile } from '../patches/files';
import { lookupPatch } from '../patches/lookup';
import { BUILD_ROW, type ExpectedRow, type RecordRow } from '../patches/recorder';
import { isDone, patchStates, type PatchStatusRow } from '../patches/status';
import type { MigrateOptions, Prepared } from './types';

/** A patch named by --fake or --skip: recorded, not run. */
export interface Mark {
  patch: PatchFile;
  status: 'applied' | 'skipped';
  checksum: string;
  recorded: ExpectedRow;
}

/** An applied patch edited on purpose (--accept-checksum): the record takes its new checksum. */
export interface Acceptance {
  patch: PatchFile;
  oldChecksum: string | null;
  newChecksum: string;
  recorded: ExpectedRow;
}

export interface Selection {
  /** The patches to run, in order, read and analysed. */
  todo: Prepared[];
  /** Record-only: a run with marks or acceptances writes them and runs nothing else. */
  marks: Mark[];
  accepted: Acceptance[];
  /** Pending patches this run leaves: beyond the target, or all but the marked ones on a record-only run. */
  beyond: string[];
  /** Applied patches whose file changed since. */
  edited: string[];
  outOfOrder: Array<{ name: string; sortsBefore: string }>;
}

/** How patches are compiled: psql's variables and the server's standard_conforming_strings (see scriptContext). */
export interface CompileContext {
  variables: Record<string, string>;
  standardConformingStrings: boolean;
}

/** `checksums`: the run's (stats may be taken already, see Checksums.prefetch); else one from options.checksumCache. */
export async function selectPatches(
  patches: PatchFile[],
  record: Map<string, RecordRow>,
  options: MigrateOptions,
  compile: CompileContext,
  checksums?: Checksums,
): Promise<Selection> {
  const build = record.get(BUILD_ROW);
  if (build) {
    throw new UsageError(
      `the first-run build of this database from the schema files ${build.status === 'failed' ? 'failed' : 'was interrupted'} (${new Date(build.statusDate).toISOString()}): the database is half-built`,
      {
        hint: 'drop and create the database again, then run migrate (it builds it afresh); neither migrate nor --assume-applied can tell what the build did',
      },
    );
  }
  const rows = patchStates(patches, record, checksums ?? options.checksumCache);
  // By name: a search of the list per patch made a no-op run on 10,000 patches take seconds.
  const byName = new Map(rows.map((r) => [r.name, r]));
  const expectedOf = (p: PatchFile): ExpectedRow => {
    const r = record.get(p.name);
    return r ? { status: r.status, stage: r.stage, statusDate: r.statusDate } : null;
  };
  const selection: Selection = {
    todo: [],
    marks: [],
    accepted: [],
    beyond: [],
    edited: rows.filter((r) => r.edited).map((r) => r.name),
    outOfOrder: [],
  };

  const named = (list: string[] | undefined, flag: string) =>
    (list ?? []).map((n) => lookupPatch(patches, options.patchesDir, n, { flag }));
  const fake = named(options.fake, '--fake');
  const skip = named(options.skip, '--skip');
  const accept = named(options.acceptChecksum, '--accept-checksum');
  const retry = new Set(named(options.retry, '--retry').map((p) => p.name));
  for (const [list, status, flag] of [
    [fake, 'applied', '--fake'],
    [skip, 'skipped', '--skip'],
  ] as const) {
    for (const p of list) {
      const row = byName.get(p.name)!;
      if (row.state === 'applied' || row.state === 'assumed' || (flag === '--skip' && row.state === 'skipped')) {
        throw new PatchSetError(
          `${flag} ${p.name}: the patch is already ${row.state}; ${flag} records only patches that are not`,
          [p.path],
          row.edited
            ? `its file was edited since: to record the new version as the applied one, use --accept-checksum ${p.name}`
            : undefined,
        );
      }
      selection.marks.push({ patch: p, status, checksum: checksumOf(p.path), recorded: expectedOf(p) });
    }
  }
  for (const p of accept) {
    const row = byName.get(p.name)!;
    if (row.state !== 'applied' && row.state !== 'assumed') {
      throw new PatchSetError(
        `--accept-checksum ${p.name}: the patch is ${row.state}, not applied: there is no applied version to replace`,
        [p.path],
      );
    }
    const now = checksumOf(p.path);
    const old = record.get(p.name)!.checksum;
    if (old === now)
      throw new PatchSetError(`--accept-checksum ${p.name}: the file is unchanged since it was applied (checksum ${now})`, [p.path]);
    selection.accepted.push({ patch: p, oldChecksum: old, newChecksum: now, recorded: expectedOf(p) });
  }
  // Record-only: what the user named, and nothing else (as Django's --fake runs nothing).
  if (selection.marks.length || selection.accepted.length) {
    const marked = new Set(selection.marks.map((m) => m.patch.name));
    selection.beyond = rows.filter((r) => r.file && !isDone(r.state) && !marked.has(r.name)).map((r) => r.name);
    return selection;
  }

  if (options.strict && selection.edited.length) {
    throw new PatchSetError(
      `patches edited after they were applied: ${selection.edited.join(', ')}`,
      selection.edited,
      'restore the applied version, write a new patch for the change, or accept the edit with --accept-checksum NAME',
    );
  }
  checkRenames(patches, rows, record);
  checkFolder(rows, record, options.patchesDir);
  const last = options.upTo ? patches.indexOf(lookupPatch(patches, options.patchesDir, options.upTo)) : patches.length - 1;
  // Every patch that will run is read and analysed first: a broken include or a BEGIN without
  // COMMIT in the fifth patch stops the run before the first one is applied.
  for (const [i, p] of patches.entries()) {
    const row = byName.get(p.name)!;
    if (isDone(row.state)) continue;
    if (i > last) {
      selection.beyond.push(p.name);
      continue;
    }
    if ((row.state === 'failed' || row.state === 'applying') && !retry.has(p.name)) {
      throw new PatchSetError(
        `patch ${p.name} ${row.state === 'failed' ? 'failed' : 'was interrupted'} while running outside a transaction: part of it may have been applied`,
        [p.path],
        `check what it did, then run migrate --fake ${p.name} to mark it applied, or --retry ${p.name} to run it again`,
      );
    }
    if (row.sortsBefore) selection.outOfOrder.push({ name: p.name, sortsBefore: row.sortsBefore });
    selection.todo.push({ ...(await prepare(p, row, compile)), recorded: expectedOf(p), retry: retry.has(p.name) || undefined });
  }
  if (options.strict && selection.outOfOrder.length) {
    throw new PatchSetError(
      `${selection.outOfOrder.length === 1 ? 'a patch sorts' : 'patches sort'} before patches already applied: ${selection.outOfOrder.map((o) => `${o.name} (before ${o.sortsBefore})`).join(', ')}`,
      selection.outOfOrder.map((o) => patches.find((p) => p.name === o.name)!.path),
      'rename it so that it sorts after the last applied patch (makemigrations names new patches by date), or run without --strict to apply it out of order',
    );
  }
  return selection;
}

/**
 * A record whose applied patches are all missing from the patches folder means the wrong
 * folder (a typo, another working directory): running "nothing to apply" there would be a lie.
 */
function checkFolder(rows: PatchStatusRow[], record: Map<string, RecordRow>, dir: string): void {
  const applied = [...record.values()].filter((r) => r.status === 'applied' || r.status === 'assumed');
  if (applied.length === 0) return;
  const onDisk = rows.filter((r) => r.file && (r.state === 'applied' || r.state === 'assumed')).length;
  if (onDisk > 0) return;
  throw new UsageError(`none of the ${applied.length} patches the database records as applied is in ${dir}`, {
    hint: 'is this the project of that database? Give the patches folder with --patches-dir (or PGPATCH_PATCHES_DIR), or run from the project folder',
  });
}

/**
 * A pending patch with the bytes of an applied patch whose file is gone is that patch renamed:
 * running it would apply it twice.
 */
function checkRenames(patches: PatchFile[], rows: PatchStatusRow[], record: Map<string, RecordRow>): void {
  const gone = new Map<string, string>();
  for (const r of rows) {
    const rec = record.get(r.name);
    if (!r.file && rec?.checksum && (rec.status === 'applied' || rec.status === 'assumed')) gone.set(rec.checksum, r.name);
  }
  if (gone.size === 0) return;
  for (const p of patches) {
    if (record.has(p.name)) continue;
    const old = gone.get(checksumOf(p.path));
    if (!old) continue;
    throw new PatchSetError(
      `patch ${p.name} has the same content as ${old}, which is recorded as applied and no longer on disk: it looks renamed, and would be applied again`,
      [p.path],
      `if it is ${old} renamed, record the new name without running it: pgpatch migrate --fake ${p.name}; if it must run again, make it a new patch (change its text)`,
    );
  }
}

/**
 * The script compiler and the transaction planner, loaded on first use (a run with nothing to
 * apply does not need them), once: an import() per patch cost ~10-20 ms on 1,000 patches.
 */
let compiler:
  | Promise<{
      compileScript: typeof import('../script/compile').compileScript;
      planTransaction: typeof import('../script/transactions').planTransaction;
    }>
  | undefined;
function scriptCompiler() {
  return (compiler ??= Promise.all([import('../script/compile.js'), import('../script/transactions.js')]).then(([c, t]) => ({
    compileScript: c.compileScript,
    planTransaction: t.planTransaction,
  })));
}

async function prepare(patch: PatchFile, row: PatchStatusRow, compile: CompileContext): Promise<Omit<Prepared, 'recorded'>> {
  const postOnly = row.state === 'pending_post';
  // A script that cannot run is found now, not after the patch it follows has committed.
  for (const script of postOnly ? patch.post : [...patch.pre, ...patch.post]) {
    if (!isExecutable(script))
      throw new PatchInvalidError(patch.name, `script ${script} is not executable`, undefined, `chmod +x ${script}`);
  }
  const { compileScript, planTransaction } = await scriptCompiler();
  // One read: the bytes compiled are the bytes hashed (and the file is not read twice).
  const script = compileScript(patch.path, compile);
  const plan = await planTransaction(patch.name, script.entryBytes.toString('utf8'), script.steps);
  return { patch, row, checksum: checksumOfBytes(script.entryBytes), steps: script.steps, plan, postOnly };
}
