/**
 * Where each patch stands: the patches on disk joined with the record. Used by showmigrations
 * and by migrate to decide what to run.
 */
import { Checksums } from './checksums';
import { patchDate, sortByteOrder, type PatchFile } from './files';
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
  /** The patch changed since it was applied: its file, or a file it includes (see checksums.ts). */
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

/**
 * `checksumCache`: where checksums of unchanged files are kept (see checksums.ts), or the
 * Checksums of that cache already at work (prefetched); without it, each file is hashed.
 */
export function patchStates(patches: PatchFile[], record: Map<string, RecordRow>, checksumCache?: string | Checksums): PatchStatusRow[] {
  const checksums = checksumCache instanceof Checksums ? checksumCache : new Checksums(checksumCache);
  const rows: PatchStatusRow[] = [];
  // One plain loop, no spread or intermediate array per row: for 10,000 patches the garbage
  // was a large part of a showmigrations (issue 15).
  let matched = 0;
  for (const p of patches) {
    const r = record.get(p.name);
    const row: PatchStatusRow = {
      name: p.name,
      file: p.relativePath,
      state: stateOf(r),
      stage: r?.stage ?? null,
      date: r ? isoDate(r.statusDate) : null,
      edited: false,
      sortsBefore: null,
      error: r?.error ?? null,
    };
    if (r) {
      matched++;
      row.edited = Boolean(r.checksum && (r.status === 'applied' || r.status === 'assumed') && !checksums.matches(p, r.checksum));
      if (r.details) row.details = r.details;
    }
    rows.push(row);
  }
  checksums.save();
  // Rows of patches no longer on disk (squashed, deleted): usually none, and then no set of names
  // is needed. Counting matches is enough because patch names are unique (findPatches refuses twins).
  if (matched < record.size) {
    const onDisk = new Set(patches.map((p) => p.name));
    for (const r of record.values()) {
      if (onDisk.has(r.name)) continue;
      rows.push({
        name: r.name,
        file: null,
        state: stateOf(r),
        stage: r.stage,
        date: isoDate(r.statusDate),
        edited: false,
        sortsBefore: null,
        error: r.error,
      });
    }
  }
  // Byte order, like the patches: rows already in order (findPatches sorted them) cost one comparison each.
  sortByteOrder(rows, (row) => row.name);
  // Undated patches (an older project's, which the record names: see files.ts) sort after every
  // dated name when they start with a letter; new patches are dated: they are not "before" those.
  let lastApplied: string | null = null;
  for (let i = rows.length - 1; i >= 0; i--) {
    const row = rows[i];
    if (row.state === 'applied' || row.state === 'assumed') {
      if (lastApplied === null && patchDate(row.name)) lastApplied = row.name;
    } else if (row.state === 'pending' && row.file) row.sortsBefore = lastApplied;
  }
  return rows;
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

const two = (n: number) => (n < 10 ? '0' : '') + n;

/**
 * What `new Date(ms).toISOString()` gives, 3-4x faster: for 10,000 patches that was ~15-25 ms
 * of a showmigrations (measured on 2026-11-27). Days to a civil date by Howard Hinnant's
 * days_from_civil inverse, once per run of rows of the same day (patches applied together:
 * the civil date was half of the cost); years outside 1970-9999 go to Date.
 */
export function isoDate(ms: number): string {
  if (!(ms >= 0 && ms < 253402300800000)) return new Date(ms).toISOString();
  const t = Math.floor(ms);
  const day = Math.floor(t / 86400000);
  const inDay = t - day * 86400000;
  if (day !== lastDay) {
    lastDay = day;
    lastDayText = civilDate(day);
  }
  const msPart = inDay % 1000;
  return (
    `${lastDayText}T${two(Math.floor(inDay / 3600000))}:${two(Math.floor(inDay / 60000) % 60)}:` +
    `${two(Math.floor(inDay / 1000) % 60)}.${msPart < 10 ? '00' : msPart < 100 ? '0' : ''}${msPart}Z`
  );
}

let lastDay = NaN;
let lastDayText = '';

/** YYYY-MM-DD of a day count since 1970-01-01 (0 to 9999-12-31). */
function civilDate(day: number): string {
  const z = day + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${String(y).padStart(4, '0')}-${two(m)}-${two(d)}`;
}
