/**
 * Where each patch stands: the patches on disk joined with the record. Used by showmigrations
 * and by migrate to decide what to run.
 */
import { Checksums } from './checksums';
import { byteOrder, type PatchFile } from './files';
import type { PatchStage, RecordDetails, RecordRow } from './recorder';

export type PatchState =
  | 'applied'
  | 'assumed'
  | 'skipped'
  /** Never run, or its pre script did not finish: runs in full. */
  | 'pending'
  /** The patch committed but its post script did not finish: only the post scripts run. */
  | 'pending_post'
  /** Failed, or interrupted, while running outside a transaction: needs a person. */
  | 'failed'
  | 'applying';

export interface PatchStatusRow {
  name: string;
  /** Relative path under the patches folder; null when the file is gone but the record has it. */
  file: string | null;
  state: PatchState;
  /** The stage the record names for failed or interrupted patches. */
  stage: PatchStage | null;
  /** When the record's status was last set. */
  date: string | null;
  /** The file changed since it was applied (checksums differ). */
  edited: boolean;
  /**
   * For a pending patch: the last applied (or assumed) patch that sorts after it, so it would
   * run out of order (typically a branch merged after a newer patch was deployed). Else null.
   */
  sortsBefore: string | null;
  error: string | null;
  /** Who applied it, from where, how long it took: only when the record was read with details. */
  details?: RecordDetails;
}

/** `checksumCache`: where checksums of unchanged files are kept (see checksums.ts); without it, each file is hashed. */
export function patchStates(patches: PatchFile[], record: Map<string, RecordRow>, checksumCache?: string): PatchStatusRow[] {
  const checksums = new Checksums(checksumCache);
  const checksum = (p: PatchFile) => checksums.of(p);
  const rows: PatchStatusRow[] = [];
  for (const p of patches) {
    const r = record.get(p.name);
    rows.push({
      name: p.name,
      file: p.relativePath,
      state: stateOf(r),
      stage: r?.stage ?? null,
      date: r ? new Date(r.statusDate).toISOString() : null,
      edited: Boolean(r && r.checksum && (r.status === 'applied' || r.status === 'assumed') && r.checksum !== checksum(p)),
      sortsBefore: null,
      error: r?.error ?? null,
      ...(r?.details && { details: r.details }),
    });
  }
  checksums.save();
  const onDisk = new Set(patches.map((p) => p.name));
  for (const r of record.values()) {
    if (onDisk.has(r.name)) continue;
    rows.push({ name: r.name, file: null, state: stateOf(r), stage: r.stage, date: new Date(r.statusDate).toISOString(), edited: false, sortsBefore: null, error: r.error });
  }
  // Byte order, like the patches (byteOrder compares strings unless a name has a surrogate pair).
  const sorted = rows.sort((a, b) => byteOrder(a.name, b.name));
  let lastApplied: string | null = null;
  for (let i = sorted.length - 1; i >= 0; i--) {
    const row = sorted[i];
    if (row.state === 'applied' || row.state === 'assumed') lastApplied ??= row.name;
    else if (row.state === 'pending' && row.file) row.sortsBefore = lastApplied;
  }
  return sorted;
}

function stateOf(r: RecordRow | undefined): PatchState {
  if (!r) return 'pending';
  if (r.status === 'applied' || r.status === 'assumed' || r.status === 'skipped') return r.status;
  if (r.stage === 'pre' || r.stage === null) return 'pending';
  if (r.stage === 'post') return 'pending_post';
  return r.status;
}

export function isDone(state: PatchState): boolean {
  return state === 'applied' || state === 'assumed' || state === 'skipped';
}
