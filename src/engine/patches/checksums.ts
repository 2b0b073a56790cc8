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
import { newFileStat, statInto } from './file-stat';

/** sha256 of bytes, hex: what the record keeps. */
export function checksumOfBytes(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** sha256 of the file's bytes, hex. */
export function checksumOf(path: string): string {
  return checksumOfBytes(readFileSync(path));
}

/** First line of the cache file: a cache of another format is ignored (and rewritten). */
const HEADER = 'pgpatch checksums 3\n';
/** Files changed more recently than this are not cached (see the limits above). */
const SETTLED_MS = 2000;
const TAB = 9;

/**
 * The cache: HEADER, then a line per file in the patches' order: its path under the patches
 * folder, size, inode, mtime and ctime in milliseconds (fractional: ~0.25 µs apart at today's
 * dates, written as JavaScript writes numbers, which reads back to the same bits) and checksum,
 * tab-separated. Text, not JSON: the runs read it in the order it was written, so an unchanged
 * file costs one comparison of its line and no object (JSON.parse of 10,000 entries, and their
 * garbage, was ~25-40 ms of each run). A path holding a tab or a newline is never cached.
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

  /** The patch's checksum, from the cache when the file is unchanged since it was hashed. */
  of(patch: Pick<PatchFile, 'path' | 'relativePath'>): string {
    if (!this.cacheFile) return checksumOf(patch.path);
    const key = patch.relativePath;
    // stat before reading: a file that changes in between is stored with its older stat,
    // which the next run sees as a change.
    const st = this.stat;
    statInto(patch.path, st);
    const cacheable = !key.includes('\t') && !key.includes('\n');
    const stated = cacheable ? `${key}\t${st[0]}\t${st[1]}\t${st[2]}\t${st[3]}\t` : '';
    const at = cacheable ? this.lineOf(key) : -1;
    if (at >= 0 && this.text.startsWith(stated, at)) {
      const end = at + stated.length + 64;
      // 64 characters then the line's end: a line cut short is not believed. The characters are
      // not checked for hex (a regex per file was ~5-10 ms): a damaged checksum can only differ
      // from the record's, which shows the patch as edited, never hides an edit.
      if (end === this.lineEnd) {
        const line = this.text.slice(at, end);
        const sum = line.slice(stated.length);
        this.lines.push(line);
        this.reused++;
        return sum;
      }
    }
    const sum = checksumOf(patch.path);
    this.changed = true;
    if (cacheable && Date.now() - Math.max(st[2], st[3]) > SETTLED_MS) this.lines.push(stated + sum);
    return sum;
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
