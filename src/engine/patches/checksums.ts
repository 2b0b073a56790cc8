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

const VERSION = 2;
/** Files changed more recently than this are not cached (see the limits above). */
const SETTLED_MS = 2000;

/** size, inode, mtime and ctime in milliseconds (fractional: ~0.25 µs apart at today's dates), checksum. */
type Entry = [number, number, number, number, string];
type Entries = Record<string, Entry>;

export class Checksums {
  /** As read, by path under the patches folder: one cache file serves one patches folder. */
  private readonly known: Entries = {};
  /** What this run confirmed or computed: what is saved, so moved or removed patches drop out. */
  private readonly next: Entries = {};
  private changed = false;
  /** One buffer for every file's stat: no object per file. */
  private readonly stat = newFileStat();

  /** Without a cache file, every checksum is computed. */
  constructor(private readonly cacheFile?: string) {
    if (!cacheFile) return;
    try {
      // A plain object from JSON.parse, not a Map: building a Map of 10,000 entries cost ~10 ms.
      const data = JSON.parse(readFileSync(cacheFile, 'utf8')) as { version?: number; entries?: Entries };
      if (data.version === VERSION && data.entries && typeof data.entries === 'object') this.known = data.entries;
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
    const known = Object.hasOwn(this.known, key) ? this.known[key] : undefined;
    if (Array.isArray(known) && known[0] === st[0] && known[1] === st[1] && known[2] === st[2] && known[3] === st[3] && typeof known[4] === 'string') {
      this.next[key] = known;
      return known[4];
    }
    const sum = checksumOf(patch.path);
    this.changed = true;
    if (Date.now() - Math.max(st[2], st[3]) > SETTLED_MS) this.next[key] = [st[0], st[1], st[2], st[3], sum];
    return sum;
  }

  /** Writes the cache if it changed: to a temporary file then renamed, so concurrent runs never read half a file. */
  save(): void {
    if (!this.cacheFile) return;
    if (!this.changed && Object.keys(this.next).length === Object.keys(this.known).length) return;
    const tmp = `${this.cacheFile}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      mkdirSync(dirname(this.cacheFile), { recursive: true });
      writeFileSync(tmp, JSON.stringify({ version: VERSION, entries: this.next }));
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
