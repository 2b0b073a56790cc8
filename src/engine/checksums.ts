/**
 * Checksums of patch files, to notice a patch edited after it was applied. Reading and hashing
 * 10,000 patches costs ~0.15-0.3 s per showmigrations or migrate; a stat() costs a third of
 * that. So checksums are cached by what stat() says of the file, the way git's index does:
 * size, inode, and modification and change times in nanoseconds. Any write to a file changes
 * its ctime, which no tool can set back, so an edit is always seen.
 *
 * Limits: a file whose times are less than two seconds old is hashed and not cached (an edit
 * within the file system's timestamp granularity could keep the same stat); a cache that
 * cannot be read or written is ignored: the checksums are then computed, never guessed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PatchFile } from './patches';

/** sha256 of bytes, hex: what the record keeps. */
export function checksumOfBytes(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** sha256 of the file's bytes, hex. */
export function checksumOf(path: string): string {
  return checksumOfBytes(readFileSync(path));
}

const VERSION = 1;
/** Files changed more recently than this are not cached (see the limits above). */
const SETTLED_NS = 2_000_000_000n;

/** size, inode, mtime ns, ctime ns, checksum. */
type Entry = [number, number, string, string, string];

export class Checksums {
  /** By path under the patches folder: one cache file serves one patches folder. */
  private readonly entries = new Map<string, Entry>();
  private readonly seen = new Set<string>();
  private changed = false;

  /** Without a cache file, every checksum is computed. */
  constructor(private readonly cacheFile?: string) {
    if (!cacheFile) return;
    try {
      const data = JSON.parse(readFileSync(cacheFile, 'utf8')) as { version?: number; entries?: Record<string, Entry> };
      if (data.version === VERSION && data.entries && typeof data.entries === 'object') {
        for (const [k, e] of Object.entries(data.entries)) if (Array.isArray(e) && e.length === 5) this.entries.set(k, e);
      }
    } catch {
      // No cache yet, or an unreadable one: it is rebuilt.
    }
  }

  /** The patch's checksum, from the cache when the file is unchanged since it was hashed. */
  of(patch: Pick<PatchFile, 'path' | 'relativePath'>): string {
    if (!this.cacheFile) return checksumOf(patch.path);
    const key = patch.relativePath;
    this.seen.add(key);
    // stat before reading: a file that changes in between is stored with its older stat,
    // which the next run sees as a change.
    const st = statSync(patch.path, { bigint: true });
    const size = Number(st.size);
    const ino = Number(st.ino);
    const mtime = String(st.mtimeNs);
    const ctime = String(st.ctimeNs);
    const known = this.entries.get(key);
    if (known && known[0] === size && known[1] === ino && known[2] === mtime && known[3] === ctime) return known[4];
    const sum = checksumOf(patch.path);
    const newest = st.mtimeNs > st.ctimeNs ? st.mtimeNs : st.ctimeNs;
    if (BigInt(Date.now()) * 1_000_000n - newest > SETTLED_NS) {
      this.entries.set(key, [size, ino, mtime, ctime, sum]);
      this.changed = true;
    } else if (known) {
      this.entries.delete(key);
      this.changed = true;
    }
    return sum;
  }

  /** Writes the cache if it changed: to a temporary file then renamed, so concurrent runs never read half a file. */
  save(): void {
    if (!this.cacheFile) return;
    // Patches that were moved or removed since: forgotten, so the cache stays the folder's size.
    for (const key of this.entries.keys()) {
      if (!this.seen.has(key)) {
        this.entries.delete(key);
        this.changed = true;
      }
    }
    if (!this.changed) return;
    const tmp = `${this.cacheFile}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      mkdirSync(dirname(this.cacheFile), { recursive: true });
      writeFileSync(tmp, JSON.stringify({ version: VERSION, entries: Object.fromEntries(this.entries) }));
      renameSync(tmp, this.cacheFile);
      this.changed = false;
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
