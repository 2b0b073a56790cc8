/**
 * The numbers the checksum cache compares a file by: size, inode, mtime and ctime,
 * for every patch on every showmigrations or migrate. fs.statSync builds a Stats object with
 * four Dates per file: for 10,000 patches ~100 ms of CPU on Node 20 (half of it garbage), where
 * the system calls themselves take ~30 ms. Node's fs binding, which statSync calls, fills one
 * shared Float64Array instead: that is read here, with no object per file.
 *
 * Limits: process.binding('fs') is not a documented API. So it is checked against fs.statSync
 * on the first file of each run (the numbers must be identical), and any difference, a missing
 * binding, an error or an odd result sends this run's stats (or that one file's) through
 * fs.statSync: never a guessed value, at worst the old speed.
 * Under --pending-deprecation, process.binding prints a warning: statSync is used then.
 */
import { statSync } from 'node:fs';

/**
 * size, inode, then mtime and ctime as whole seconds and nanoseconds (as the system gives them):
 * what `statInto` writes. Integers, so that the checksum cache compares them with its text
 * digit by digit, without turning a fractional millisecond count into a string per file.
 */
export type FileStat = Float64Array;

export const STAT_FIELDS = 6;

export function newFileStat(): FileStat {
  return new Float64Array(STAT_FIELDS);
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
    if (fast.every((v, i) => v === slow[i])) binding = b;
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

/**
 * An object where newer Nodes take throwIfNoEntry and older ones an error context: either way
 * a failure shows as a throw, undefined or a filled context, and statSync then reports it. One
 * object for every call (reset before each): not an allocation per file.
 */
const context: { errno?: number } = {};

function fromBinding(b: StatBinding, path: string, out: FileStat): boolean {
  context.errno = undefined;
  const a = b.stat(path, false, undefined, context);
  if (!(a instanceof Float64Array) || a.length < 16 || context.errno !== undefined) return false;
  out[0] = a[SIZE];
  out[1] = a[INO];
  out[2] = a[MTIME_SEC];
  out[3] = a[MTIME_SEC + 1];
  out[4] = a[CTIME_SEC];
  out[5] = a[CTIME_SEC + 1];
  return true;
}

const BILLION = BigInt(1e9);

function fromStats(path: string, out: FileStat): void {
  const st = statSync(path, { bigint: true });
  out[0] = Number(st.size);
  out[1] = Number(st.ino);
  splitNs(st.mtimeNs, out, 2);
  splitNs(st.ctimeNs, out, 4);
}

/** Seconds (floored, as the system's timespec) and nanoseconds 0-999,999,999. */
function splitNs(ns: bigint, out: FileStat, at: number): void {
  let sec = ns / BILLION;
  let nsec = ns % BILLION;
  if (nsec < 0n) {
    sec -= 1n;
    nsec += BILLION;
  }
  out[at] = Number(sec);
  out[at + 1] = Number(nsec);
}

/** Milliseconds since the epoch of the seconds and nanoseconds at `at` (2: mtime, 4: ctime). */
export function timeMs(st: FileStat, at: 2 | 4): number {
  return st[at] * 1000 + st[at + 1] / 1e6;
}

/** Writes the file's size, inode, mtime and ctime into `out`; throws statSync's error for a file it cannot stat. */
export function statInto(path: string, out: FileStat): void {
  const b = binding === undefined ? checkedBinding(path) : binding;
  try {
    if (b && fromBinding(b, path, out)) return;
  } catch {
    // Gone, or unreadable: statSync below says why, in its usual words.
  }
  fromStats(path, out);
}
