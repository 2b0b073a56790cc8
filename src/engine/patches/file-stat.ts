/**
 * The four numbers the checksum cache compares a file by: size, inode, mtime and ctime (ms),
 * for every patch on every showmigrations or migrate. fs.statSync builds a Stats object with
 * four Dates per file: for 10,000 patches ~100 ms of CPU on Node 20 (half of it garbage), where
 * the system calls themselves take ~30 ms. Node's fs binding, which statSync calls, fills one
 * shared Float64Array instead: that is read here, with no object per file.
 *
 * Limits: process.binding('fs') is not a documented API. So it is checked against fs.statSync
 * on the first file of each run (the four numbers must be identical, computed as Node computes
 * them), and any difference, a missing binding, an error or an odd result sends this run's stats
 * (or that one file's) through fs.statSync: never a guessed value, at worst the old speed.
 * Under --pending-deprecation, process.binding prints a warning: statSync is used then.
 */
import { statSync } from 'node:fs';

/** size, inode, mtimeMs, ctimeMs: what `statInto` writes. */
export type FileStat = Float64Array;

export function newFileStat(): FileStat {
  return new Float64Array(4);
}

type StatBinding = { stat(path: string, bigint: boolean, req: undefined, throwIfNoEntry: unknown): unknown };

let binding: StatBinding | null | undefined;

/** The fs binding if it answers exactly as fs.statSync does for `path`, else null (once per run). */
function checkedBinding(path: string): StatBinding | null {
  binding = null;
  if (pendingDeprecation()) return null;
  try {
    const b = (process as unknown as { binding(name: string): StatBinding }).binding('fs');
    const fast = newFileStat();
    const slow = newFileStat();
    if (!fromBinding(b, path, fast)) return null;
    fromStats(path, slow);
    if (fast[0] === slow[0] && fast[1] === slow[1] && fast[2] === slow[2] && fast[3] === slow[3]) binding = b;
  } catch {
    // No such binding, or not the one expected: statSync it is.
  }
  return binding;
}

function pendingDeprecation(): boolean {
  const opts = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
  return opts.includes('--pending-deprecation') || process.env.NODE_PENDING_DEPRECATION === '1';
}

/** Layout of the array Node 20's binding fills (lib/internal/fs/utils.js getStatsFromBinding). */
const INO = 7;
const SIZE = 8;
const MTIME_SEC = 12;
const CTIME_SEC = 14;

function fromBinding(b: StatBinding, path: string, out: FileStat): boolean {
  // An object where newer Nodes take throwIfNoEntry and older ones an error context: either way
  // a failure shows as a throw, undefined or a filled context, and statSync then reports it.
  const ctx: { errno?: number } = {};
  const a = b.stat(path, false, undefined, ctx);
  if (!(a instanceof Float64Array) || a.length < 16 || ctx.errno !== undefined) return false;
  out[0] = a[SIZE];
  out[1] = a[INO];
  // As Node's msFromTimeSpec computes them, so that values match statSync's to the bit.
  out[2] = a[MTIME_SEC] * 1000 + a[MTIME_SEC + 1] / 1e6;
  out[3] = a[CTIME_SEC] * 1000 + a[CTIME_SEC + 1] / 1e6;
  return true;
}

function fromStats(path: string, out: FileStat): void {
  const st = statSync(path);
  out[0] = st.size;
  out[1] = st.ino;
  out[2] = st.mtimeMs;
  out[3] = st.ctimeMs;
}

/** Writes the file's size, inode, mtimeMs and ctimeMs into `out`; throws statSync's error for a file it cannot stat. */
export function statInto(path: string, out: FileStat): void {
  const b = binding === undefined ? checkedBinding(path) : binding;
  try {
    if (b && fromBinding(b, path, out)) return;
  } catch {
    // Gone, or unreadable: statSync below says why, in its usual words.
  }
  fromStats(path, out);
}
