/**
 * What a migrate run does, decided in one place: the run and its plan (--plan, --dry-run,
 * --check) both call selectPatches, so the plan says what the run then does, and refuses what
 * the run would refuse, with the same error. Nothing here writes.
 */
import { basename } from 'node:path';
import { PatchInvalidError, PatchSetError, UsageError } from '../../errors';
import { checksumOfBytes, Checksums, expansionChecksum } from '../patches/checksums';
import { isExecutable, notPatch, withRecorded, type NotPatch, type PatchFile, type PatchScan, type StrayFile } from '../patches/files';
import { lookupPatch } from '../patches/lookup';
import { BUILD_ROW, type ExpectedRow, type RecordRow } from '../patches/recorder';
import { isDone, patchStates, type PatchStatusRow } from '../patches/status';
import type { MigrateOptions, PatchCopy, Prepared } from './types';

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
  /** Patches to run that are copies of another patch, each allowed by the user. */
  copies: PatchCopy[];
  /** Files that look meant as patches and are not (reported; refused under strict or check). */
  notPatches: NotPatch[];
}

/** How patches are compiled: psql's variables and the server's standard_conforming_strings (see scriptContext). */
export interface CompileContext {
  variables: Record<string, string>;
  standardConformingStrings: boolean;
}

/**
 * `scan`: the patches folder (scanPatches); the record decides which strays are patches all the
 * same (withRecorded). `checksums`: the run's (stats may be taken already, see
 * Checksums.prefetch); else one from options.checksumCache.
 */
export async function selectPatches(
  scan: PatchScan,
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
  const { patches, strays } = withRecorded(scan, (name) => record.has(name));
  const notPatches = reportStrays(strays, options);
  const sums = checksums ?? new Checksums(options.checksumCache, compile);
  const rows = patchStates(patches, record, sums);
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
    copies: [],
    notPatches,
  };

  const named = (list: string[] | undefined, flag: string) => (list ?? []).map((n) => lookupNamed(patches, strays, options, n, flag));
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
      selection.marks.push({ patch: p, status, checksum: sums.of(p), recorded: expectedOf(p) });
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
    const now = sums.of(p);
    const old = record.get(p.name)!.checksum;
    if (!row.edited)
      throw new PatchSetError(`--accept-checksum ${p.name}: the patch is unchanged since it was applied (checksum ${old ?? now})`, [
        p.path,
      ]);
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
  const last = options.upTo ? patches.indexOf(lookupNamed(patches, strays, options, options.upTo)) : patches.length - 1;
  /** Of each patch of todo, the checksum of its file alone (a record may hold that: see checksums.ts). */
  const fileChecksums: string[] = [];
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
    const { prepared, fileChecksum } = await prepare(p, row, compile);
    selection.todo.push({ ...prepared, recorded: expectedOf(p), retry: retry.has(p.name) || undefined });
    fileChecksums.push(fileChecksum);
  }
  const allowed = new Set(named(options.allowCopy, '--allow-copy').map((p) => p.name));
  // Before checkFolder: a patch renamed when it was the only one applied is that, not the wrong folder.
  selection.copies = await checkCopies(selection.todo, fileChecksums, rows, record, allowed, options);
  checkFolder(rows, record, options.patchesDir);
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
 * A patch to run with the same content (checksum) as a patch already applied, or as one this run
 * runs before it, would run the same SQL twice: a data patch would insert its rows twice. That
 * may be meant (`refresh materialized view ...` again), but never silently: each such copy runs
 * only when --allow-copy names it or the user says yes at the prompt, before anything runs;
 * strict refuses it whatever the user said. A copy of an applied patch whose file is gone looks
 * renamed: the hint records the new name instead. Only patches without a row are looked at (a
 * retry is the same patch). The applied patches' checksums are gathered only when something
 * is to run.
 */
async function checkCopies(
  todo: Prepared[],
  fileChecksums: string[],
  rows: PatchStatusRow[],
  record: Map<string, RecordRow>,
  allowed: Set<string>,
  options: MigrateOptions,
): Promise<PatchCopy[]> {
  if (todo.length === 0) return [];
  const onDisk = new Set<string>();
  for (const r of rows) if (r.file) onDisk.add(r.name);
  const done = new Map<string, RecordRow>();
  for (const r of record.values())
    if (r.checksum && (r.status === 'applied' || r.status === 'assumed') && !done.has(r.checksum)) done.set(r.checksum, r);
  const earlier = new Map<string, string>();
  const copies: PatchCopy[] = [];
  for (const [i, item] of todo.entries()) {
    const sums = [item.checksum, fileChecksums[i]];
    const name = item.patch.name;
    const twinRow = record.has(name) ? undefined : (done.get(sums[0]) ?? done.get(sums[1]));
    const twinEarlier = record.has(name) || twinRow ? undefined : (earlier.get(sums[0]) ?? earlier.get(sums[1]));
    for (const sum of sums) if (!earlier.has(sum)) earlier.set(sum, name);
    if (!twinRow && !twinEarlier) continue;
    const copy = twinRow
      ? { name, copyOf: twinRow.name, copyOfState: twinRow.status as 'applied' | 'assumed' }
      : { name, copyOf: twinEarlier!, copyOfState: 'pending' as const };
    const renamed = twinRow !== undefined && !onDisk.has(twinRow.name);
    const flagged = allowed.has(name);
    if (!options.strict && flagged) {
      copies.push({ ...copy, allowedBy: '--allow-copy' });
      continue;
    }
    if (!options.strict && options.confirmCopy && (await options.confirmCopy(copy))) {
      copies.push({ ...copy, allowedBy: 'prompt' });
      continue;
    }
    throw copyRefused(item.patch, copy, renamed, options.strict && flagged);
  }
  return copies;
}

function copyRefused(
  patch: PatchFile,
  copy: Omit<PatchCopy, 'allowedBy'>,
  renamed: boolean,
  strictOverFlag: boolean | undefined,
): PatchSetError {
  const twin =
    copy.copyOfState === 'pending'
      ? `${copy.copyOf}, which this run applies first`
      : renamed
        ? `${copy.copyOf}, which is recorded as ${copy.copyOfState} and no longer on disk`
        : `${copy.copyOf}, which is ${copy.copyOfState}`;
  const what = renamed ? 'it looks renamed, and would be applied again' : 'running it would run the same SQL again';
  const allow = `if it is meant to run again (a refresh, say), say so: pgpatch migrate --allow-copy ${patch.name}`;
  return new PatchSetError(
    `patch ${patch.name} has the same content as ${twin}: ${what}${strictOverFlag ? ' (--strict refuses copies, even with --allow-copy)' : ''}`,
    [patch.path],
    renamed
      ? `if it is ${copy.copyOf} renamed, record the new name without running it: pgpatch migrate --fake ${patch.name}; ${allow}`
      : `${allow}; otherwise remove the copy, or change its text`,
  );
}

/**
 * The strays (files.ts) as the result reports them; under strict or check, a refusal: a patch
 * with a typo in its name must not pass CI while it never runs.
 */
export function reportStrays(strays: StrayFile[], options: Pick<MigrateOptions, 'strict' | 'check'>): NotPatch[] {
  if (strays.length && (options.strict || options.check)) {
    throw new PatchSetError(
      `${strays.length === 1 ? 'a file in the patches folder is not a patch' : `${strays.length} files in the patches folder are not patches`} and never run${strays.length === 1 ? 's' : ''}: ${strays.map((s) => s.relativePath).join(', ')}`,
      strays.map((s) => s.path),
      'a patch is a .sql file named by its date (YYYY-MM-DD_name.sql, as makemigrations writes them) in the patches folder or its YYYY/ and YYYY/MM/ archive folders; rename it, or move a file that is included by patches into a folder of its own (lib/)',
    );
  }
  return strays.map(notPatch);
}

/** lookupPatch among the patches, saying so when the name is a stray's (a file that is not a patch). */
function lookupNamed(patches: PatchFile[], strays: StrayFile[], options: MigrateOptions, name: string, flag?: string): PatchFile {
  try {
    return lookupPatch(patches, options.patchesDir, name, { flag });
  } catch (e) {
    const stray = strayNamed(strays, name);
    if (!stray) throw e;
    throw new PatchSetError(
      `${flag ? `${flag} ` : ''}${name}: ${stray.relativePath} is not a patch`,
      [stray.path],
      'see "pgpatch showmigrations" for why',
    );
  }
}

function strayNamed(strays: StrayFile[], name: string): StrayFile | undefined {
  const base = basename(name.trim()).replace(/\.sql$/, '');
  return strays.find((s) => s.name === base);
}

/**
 * A name given on the command line, checked before anything connects: a patch, or a stray,
 * which the record may name (withRecorded): that is known only once the record is read.
 */
export function checkNamed(scan: PatchScan, patchesDir: string, name: string, flag?: string): void {
  try {
    lookupPatch(scan.patches, patchesDir, name, { flag });
  } catch (e) {
    if (!strayNamed(scan.strays, name)) throw e;
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

/** The patch read and analysed, and the checksum of its file alone (`prepared.checksum` covers its includes). */
async function prepare(
  patch: PatchFile,
  row: PatchStatusRow,
  compile: CompileContext,
): Promise<{ prepared: Omit<Prepared, 'recorded'>; fileChecksum: string }> {
  const postOnly = row.state === 'pending_post';
  // A script that cannot run is found now, not after the patch it follows has committed.
  for (const script of postOnly ? patch.post : [...patch.pre, ...patch.post]) {
    if (!isExecutable(script))
      throw new PatchInvalidError(patch.name, `script ${script} is not executable`, undefined, `chmod +x ${script}`);
  }
  const { compileScript, planTransaction } = await scriptCompiler();
  // One read: the bytes compiled are the bytes hashed (and no file is read twice).
  const script = compileScript(patch.path, compile);
  const plan = await planTransaction(patch.name, script.entryBytes.toString('utf8'), script.steps);
  return {
    prepared: { patch, row, checksum: expansionChecksum(script.sources), steps: script.steps, plan, postOnly },
    fileChecksum: checksumOfBytes(script.entryBytes),
  };
}
