/**
 * Checksums of patch files, to notice a patch edited after it was applied. Reading and hashing
 * 10,000 patches costs ~0.15-0.3 s per showmigrations or migrate; a stat() costs a third of
 * that. So checksums are cached by what stat() says of the file, the way git's index does:
 * size, inode, and modification and change times. Any write to a file changes
 * its ctime, which no tool can set back, so an edit is always seen.
 *
 * Limits: a file whose times are less than two seconds old is hashed and not cached (an edit
 * within the file system's timestamp granularity could keep the same stat); a cache that
 * cannot be read or written is ignored: the checksums are then computed, never guessed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { PatchFile } from './files';
import { newFileStat, STAT_FIELDS, statInto, timeMs, type FileStat } from './file-stat';

/** sha256 of bytes, hex: what the record keeps. */
export function checksumOfBytes(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** sha256 of the file's bytes, hex. */
export function checksumOf(path: string): string {
  return checksumOfBytes(readFileSync(path));
}

/** First line of the cache file: a cache of another format is ignored (and rewritten). */
const HEADER = 'pgpatch checksums 5\n';
/** Files changed more recently than this are not cached (see the limits above). */
const SETTLED_MS = 2000;
const TAB = 9;
const MINUS = 45;
const ZERO = 48;
const NINE = 57;

/**
 * The cache: HEADER, then a line per file in the patches' order: its path under the patches
 * folder, size, inode, mtime and ctime (each in microseconds: file-stat.ts), and checksum,
 * tab-separated. Text, not JSON: the runs read it in the order it was written, so an unchanged
 * file costs one comparison of its line, digit by digit, and no object (JSON.parse of 10,000
 * entries, and their garbage, was ~25-40 ms of each run; a string of the stat to compare with
 * was ~12 ms more). A path holding a tab or a newline is never cached.
 */
export class Checksums {
  /** The cache file as read (HEADER included), or '' when there is none to use. */
  private readonly text: string = '';
  /** Where the next patch's line is expected. */
  private cursor = HEADER.length;
  /** Where the line lineOf last found ends (its newline, or the end of the text). */
  private lineEnd = -1;
  /** Line starts by path: built only when a patch is not where expected (a patch added or moved). */
  private index?: Map<string, number>;
  /** What this run confirmed or computed, as lines: what is saved, so moved or removed patches drop out. */
  private readonly lines: string[] = [];
  private changed = false;
  /** Lines of the cache this run confirmed: when that is all of them and nothing changed, nothing is written. */
  private reused = 0;
  /** One buffer for every file's stat: no object per file. */
  private readonly stat = newFileStat();
  /** What prefetch looked at: the patches, their stats (NaN first when it failed) and cache lines. */
  private ahead: ReadonlyArray<Pick<PatchFile, 'path' | 'relativePath'>> = [];
  private aheadStats = new Float64Array(0);
  private aheadLines: Array<string | undefined> = [];
  private aheadNext = 0;

  /** Without a cache file, every checksum is computed. */
  constructor(private readonly cacheFile?: string) {
    if (!cacheFile) return;
    try {
      const text = readFileSync(cacheFile, 'utf8');
      if (text.startsWith(HEADER)) this.text = text;
    } catch {
      // No cache yet, or an unreadable one: it is rebuilt.
    }
  }

  /**
   * Stats the patches' files and finds their cache lines now, hashing nothing: showmigrations
   * does it while the server builds the record's text (~30 ms for 10,000 rows), so that `of`
   * finds them ready. Still a stat per file per run, taken before any read of the file. A file
   * that cannot be stat'ed now is left to `of`, which reports it as it would have.
   */
  prefetch(patches: ReadonlyArray<Pick<PatchFile, 'path' | 'relativePath'>>): void {
    if (!this.cacheFile) return;
    const st = this.stat;
    const stats = new Float64Array(patches.length * STAT_FIELDS);
    const lines: Array<string | undefined> = new Array(patches.length);
    for (let i = 0; i < patches.length; i++) {
      try {
        statInto(patches[i].path, st);
      } catch {
        stats[i * STAT_FIELDS] = NaN;
        continue;
      }
      stats.set(st, i * STAT_FIELDS);
      lines[i] = this.cachedLine(patches[i].relativePath, st);
    }
    this.ahead = patches;
    this.aheadStats = stats;
    this.aheadLines = lines;
    this.aheadNext = 0;
  }

  /** The patch's checksum, from the cache when the file is unchanged since it was hashed. */
  of(patch: Pick<PatchFile, 'path' | 'relativePath'>): string {
    if (!this.cacheFile) return checksumOf(patch.path);
    const key = patch.relativePath;
    // stat before reading: a file that changes in between is stored with its older stat,
    // which the next run sees as a change.
    const st = this.stat;
    const i = this.aheadIndexOf(patch);
    let line: string | undefined;
    if (i >= 0) {
      st.set(this.aheadStats.subarray(i * STAT_FIELDS, (i + 1) * STAT_FIELDS));
      line = this.aheadLines[i];
    } else {
      statInto(patch.path, st);
      line = this.cachedLine(key, st);
    }
    if (line !== undefined) {
      this.lines.push(line);
      this.reused++;
      return line.slice(line.length - 64);
    }
    const sum = checksumOf(patch.path);
    this.changed = true;
    if (cacheable(key) && Date.now() - Math.max(timeMs(st, 2), timeMs(st, 3)) > SETTLED_MS) this.lines.push(statedLine(key, st) + sum);
    return sum;
  }

  /** The patch's place in what prefetch looked at (patches come in the same order), or -1. */
  private aheadIndexOf(patch: Pick<PatchFile, 'path' | 'relativePath'>): number {
    for (let i = this.aheadNext; i < this.ahead.length; i++) {
      if (this.ahead[i] !== patch) continue;
      this.aheadNext = i + 1;
      return Number.isNaN(this.aheadStats[i * STAT_FIELDS]) ? -1 : i;
    }
    return -1;
  }

  /** The cache's line for `key` when it holds this stat, else undefined. */
  private cachedLine(key: string, st: FileStat): string | undefined {
    if (!cacheable(key)) return undefined;
    const at = this.lineOf(key);
    if (at < 0) return undefined;
    // lineOf found `key` and a tab at `at`: then the stat's numbers, each after a tab.
    const text = this.text;
    let i = at + key.length;
    for (let k = 0; k < STAT_FIELDS; k++) {
      if (text.charCodeAt(i) !== TAB) return undefined;
      i++;
      const negative = text.charCodeAt(i) === MINUS;
      if (negative) i++;
      const digits = i;
      let value = 0;
      for (let c = text.charCodeAt(i); c >= ZERO && c <= NINE; c = text.charCodeAt(++i)) value = value * 10 + (c - ZERO);
      if (i === digits || (negative ? -value : value) !== st[k]) return undefined;
    }
    // A tab, 64 characters, then the line's end: a line cut short is not believed. The characters
    // are not checked for hex (a regex per file was ~5-10 ms): a damaged checksum can only differ
    // from the record's, which shows the patch as edited, never hides an edit.
    if (text.charCodeAt(i) !== TAB || i + 65 !== this.lineEnd) return undefined;
    return text.slice(at, this.lineEnd);
  }

  /** Where the line of `key` starts in the cache, or -1. */
  private lineOf(key: string): number {
    const text = this.text;
    let at = this.cursor;
    if (!(at < text.length && text.startsWith(key, at) && text.charCodeAt(at + key.length) === TAB)) {
      // Not the next line (a patch added, moved, or not looked up): by path, then in order again from there.
      at = this.indexed().get(key) ?? -1;
      if (at < 0) return -1;
    }
    const end = text.indexOf('\n', at);
    this.lineEnd = end < 0 ? text.length : end;
    this.cursor = this.lineEnd + 1;
    return at;
  }

  private indexed(): Map<string, number> {
    if (this.index) return this.index;
    const text = this.text;
    this.index = new Map();
    for (let start = HEADER.length; start < text.length;) {
      const tab = text.indexOf('\t', start);
      const end = text.indexOf('\n', start);
      if (tab >= 0 && (end < 0 || tab < end)) this.index.set(text.slice(start, tab), start);
      if (end < 0) break;
      start = end + 1;
    }
    return this.index;
  }

  /** How many lines the cache file had. */
  private linesRead(): number {
    let n = 0;
    for (let at = this.text.indexOf('\n', HEADER.length); at >= 0; at = this.text.indexOf('\n', at + 1)) n++;
    // A last line without its newline (a file cut short) counts too: it is then rewritten whole.
    return this.text.length > HEADER.length && !this.text.endsWith('\n') ? n + 1 : n;
  }

  /** Writes the cache if it changed: to a temporary file then renamed, so concurrent runs never read half a file. */
  save(): void {
    if (!this.cacheFile) return;
    // Unchanged when every checksum came from the cache and no line of it is left over.
    if (!this.changed && this.reused === this.linesRead()) return;
    const tmp = `${this.cacheFile}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      mkdirSync(dirname(this.cacheFile), { recursive: true });
      writeFileSync(tmp, HEADER + this.lines.join('\n') + (this.lines.length ? '\n' : ''));
      renameSync(tmp, this.cacheFile);
      this.changed = false;
      removeStaleTemporaries(this.cacheFile);
    } catch {
      // A read-only home or a full disk: the next run hashes again.
      try {
        rmSync(tmp, { force: true });
      } catch {
        // The folder itself could not be made: there is no file to remove.
      }
    }
  }
}

/** A path holding a tab or a newline would break its line: such a file is never cached. */
function cacheable(key: string): boolean {
  return !key.includes('\t') && !key.includes('\n');
}

/** A cache line up to its checksum (the stat's numbers are integers: written as digits). */
function statedLine(key: string, st: FileStat): string {
  return `${key}\t${st.join('\t')}\t`;
}

/** Temporary files of runs killed while writing (older than a minute: not a run writing now). */
function removeStaleTemporaries(cacheFile: string): void {
  const dir = dirname(cacheFile);
  const prefix = `${basename(cacheFile)}.`;
  for (const f of readdirSync(dir)) {
    if (!f.startsWith(prefix) || !f.endsWith('.tmp')) continue;
    const path = join(dir, f);
    try {
      if (Date.now() - statSync(path).mtimeMs > 60_000) rmSync(path, { force: true });
    } catch {
      // Gone already, or not ours to remove.
    }
  }
}
