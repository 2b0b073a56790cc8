/**
 * Checksums of patches, to notice a patch edited after it was applied. What is covered is what
 * runs: the patch file and the files it includes (`\\i`, `\\ir`), as the record's checksum of
 * it (expansionChecksum). Records written before includes were covered hold the checksum of the
 * patch file alone: that is still recognised (PatchSums.file), so that no applied patch shows as
 * edited after an upgrade; for those, an edited include goes unnoticed, as it did then.
 *
 * Reading and hashing 10,000 patches costs ~0.15-0.3 s per showmigrations or migrate; a stat()
 * costs a third of that. So checksums are cached by what stat() says of the file, the way git's
 * index does: size, inode, and modification and change times, and for a patch that includes
 * files, the same of each file it includes. Any write to a file changes its ctime, which no tool
 * can set back, so an edit is always seen. A patch without includes costs what it did before
 * includes were covered: its cache line says it includes nothing, and a file that is read again
 * is looked at for `\\i` before anything is compiled.
 *
 * Limits: a file whose times are less than two seconds old is hashed and not cached (an edit
 * within the file system's timestamp granularity could keep the same stat); a cache that
 * cannot be read or written is ignored: the checksums are then computed, never guessed. The
 * includes are found by compiling the patch with the context given (migrate's: its psql
 * variables); showmigrations gives none, so an include whose path comes from a variable
 * (`\\i :dir/x.sql`) is found there without it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PgpatchError } from '../../errors';
import type { CompileOptions } from '../script/compile';
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

/**
 * The checksum of what a patch runs, from the bytes of every file compiling it read, the patch
 * first, in the order read: sha256 of the patch's bytes when it included nothing (the checksum
 * records always had), else sha256 of each file as its byte count, a newline and its bytes.
 */
export function expansionChecksum(files: ReadonlyArray<{ bytes: Buffer }>): string {
  if (files.length === 1) return checksumOfBytes(files[0].bytes);
  const hash = createHash('sha256');
  for (const f of files) hash.update(`${f.bytes.length}\n`).update(f.bytes);
  return hash.digest('hex');
}

/** What a record's checksum of a patch is compared with (see the top of this file). */
export interface PatchSums {
  /** Of what the patch runs; undefined when it cannot be compiled now (an include gone, say). */
  expansion: string | undefined;
  /** Of the patch file alone: what records written before includes were covered hold. */
  file: string;
}

/** How patches are compiled to find their includes: as they run (psql variables, standard_conforming_strings). */
export type IncludeContext = Pick<CompileOptions, 'variables' | 'standardConformingStrings'>;

/** A patch's sums computed from its file, and the files it includes (absolute paths, in the order read). */
interface Computed extends PatchSums {
  includes: string[];
}

/** Every include command (`\\i`, `\\ir`, `\\include`, `\\include_relative`) starts with these two bytes. */
const INCLUDE = Buffer.from('\\i');

/**
 * Reads the patch and, when it may include something, compiles it: the compiler is loaded only
 * then (a run over patches without includes never loads it). A patch that cannot be compiled
 * (an include gone) has no expansion; any other failure is a bug, and thrown.
 */
function compute(path: string, context: IncludeContext | undefined): Computed {
  const bytes = readFileSync(path);
  const file = checksumOfBytes(bytes);
  if (bytes.indexOf(INCLUDE) < 0) return { expansion: file, file, includes: [] };
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only for patches that may include files
  const { compileScript } = require('../script/compile') as typeof import('../script/compile');
  try {
    const script = compileScript(path, context);
    return { expansion: expansionChecksum(script.sources), file: checksumOfBytes(script.entryBytes), includes: script.files.slice(1) };
  } catch (e) {
    if (e instanceof PgpatchError) return { expansion: undefined, file, includes: [] };
    throw e;
  }
}

/** The checksum a record of the patch takes now: of what it runs, or of its file when it cannot be compiled. */
export function patchChecksum(path: string, context?: IncludeContext): string {
  const c = compute(path, context);
  return c.expansion ?? c.file;
}

/** First line of the cache file: a cache of another format is ignored (and rewritten). */
const HEADER = 'pgpatch checksums 6\n';
/** Files changed more recently than this are not cached (see the limits above). */
const SETTLED_MS = 2000;
const TAB = 9;
const NEWLINE = 10;
const MINUS = 45;
const ZERO = 48;
const NINE = 57;

/**
 * The cache: HEADER, then a line per patch in the patches' order: its path under the patches
 * folder, size, inode, mtime and ctime (each in microseconds: file-stat.ts), and checksum (of
 * what it runs), tab-separated. A patch that includes files has lines after its own, each
 * starting with a tab: the checksum of its file alone, then one per file it includes: the file's
 * absolute path and stat. Text, not JSON: the runs read it in the order it was written, so an unchanged
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
  /** Where the lines of its includes end (lineEnd when it has none). */
  private blockEnd = -1;
  /** Line starts by path: built only when a patch is not where expected (a patch added or moved). */
  private index?: Map<string, number>;
  /** What this run confirmed or computed, as lines: what is saved, so moved or removed patches drop out. */
  private readonly lines: string[] = [];
  private changed = false;
  /** Lines of the cache this run confirmed: when that is all of them and nothing changed, nothing is written. */
  private reused = 0;
  /** One buffer for every file's stat: no object per file. */
  private readonly stat = newFileStat();
  private readonly includeStat = newFileStat();
  /** What `sums` returns: one object, overwritten by each call (no object per patch). */
  private readonly current: PatchSums = { expansion: undefined, file: '' };
  /** What prefetch looked at: the patches, their stats (NaN first when it failed) and cache lines. */
  private ahead: ReadonlyArray<Pick<PatchFile, 'path' | 'relativePath'>> = [];
  private aheadStats = new Float64Array(0);
  private aheadLines: Array<string | undefined> = [];
  private aheadNext = 0;

  /** Without a cache file, every checksum is computed. `context`: how patches are compiled to find their includes. */
  constructor(
    private readonly cacheFile?: string,
    private readonly context?: IncludeContext,
  ) {
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

  /** The checksum a record of the patch takes now: of what it runs (of its file when that cannot be compiled). */
  of(patch: Pick<PatchFile, 'path' | 'relativePath'>): string {
    const s = this.sums(patch);
    return s.expansion ?? s.file;
  }

  /** Whether a record's checksum is the patch's as it is now: of what it runs, or, for a record written before includes were covered, of its file. */
  matches(patch: Pick<PatchFile, 'path' | 'relativePath'>, recorded: string): boolean {
    const s = this.sums(patch);
    return recorded === s.expansion || recorded === s.file;
  }

  /**
   * The patch's sums, from the cache when its file, and the files it includes, are unchanged
   * since they were hashed. The object returned is overwritten by the next call.
   */
  sums(patch: Pick<PatchFile, 'path' | 'relativePath'>): PatchSums {
    if (!this.cacheFile) return this.fill(compute(patch.path, this.context));
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
      const out = this.current;
      const newline = line.indexOf('\n');
      if (newline < 0) {
        this.lines.push(line);
        this.reused++;
        out.expansion = out.file = line.slice(line.length - 64);
        return out;
      }
      const lines = this.includesUnchanged(line, newline);
      if (lines > 0) {
        this.lines.push(line);
        this.reused += lines;
        return out;
      }
    }
    const computed = compute(patch.path, this.context);
    this.changed = true;
    if (cacheable(key) && computed.expansion !== undefined && settled(st)) {
      const includes = this.includeLines(computed);
      if (includes !== undefined) this.lines.push(statedLine(key, st) + computed.expansion + includes);
    }
    return this.fill(computed);
  }

  private fill(c: PatchSums): PatchSums {
    this.current.expansion = c.expansion;
    this.current.file = c.file;
    return this.current;
  }

  /**
   * For a cached patch with includes (`block`: its line, then from `newline` the lines of its
   * file's checksum and includes): whether every include has the stat cached, and then the sums
   * are set in `current`. The number of lines of the block, or 0 when something changed.
   */
  private includesUnchanged(block: string, newline: number): number {
    let at = newline + 1;
    const fileEnd = at + 65;
    if (block.charCodeAt(at) !== TAB || !(fileEnd === block.length || block.charCodeAt(fileEnd) === NEWLINE)) return 0;
    const file = block.slice(at + 1, fileEnd);
    let lines = 2;
    for (at = fileEnd + 1; at < block.length; lines++) {
      const tab = block.indexOf('\t', at + 1);
      if (block.charCodeAt(at) !== TAB || tab < 0) return 0;
      try {
        statInto(block.slice(at + 1, tab), this.includeStat);
      } catch {
        return 0;
      }
      const end = statMatches(block, tab, this.includeStat);
      if (end < 0 || !(end === block.length || block.charCodeAt(end) === NEWLINE)) return 0;
      at = end + 1;
    }
    this.current.expansion = block.slice(newline - 64, newline);
    this.current.file = file;
    return lines;
  }

  /**
   * The lines after a patch's own for what it includes (none when it includes nothing), or
   * undefined when one of them is not to be cached. The includes are stat'ed after compiling
   * read them: one changed in between was changed just now, and is not cached (settled).
   */
  private includeLines(c: Computed): string | undefined {
    if (c.includes.length === 0) return '';
    let lines = `\n\t${c.file}`;
    for (const path of c.includes) {
      if (!cacheable(path)) return undefined;
      try {
        statInto(path, this.includeStat);
      } catch {
        return undefined;
      }
      if (!settled(this.includeStat)) return undefined;
      lines += `\n\t${path}\t${this.includeStat.join('\t')}`;
    }
    return lines;
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

  /** The cache's line for `key` when it holds this stat, with the lines of its includes; else undefined. */
  private cachedLine(key: string, st: FileStat): string | undefined {
    if (!cacheable(key)) return undefined;
    const at = this.lineOf(key);
    if (at < 0) return undefined;
    // lineOf found `key` and a tab at `at`: then the stat's numbers, each after a tab.
    const text = this.text;
    const i = statMatches(text, at + key.length, st);
    // A tab, 64 characters, then the line's end: a line cut short is not believed. The characters
    // are not checked for hex (a regex per file was ~5-10 ms): a damaged checksum can only differ
    // from the record's, which shows the patch as edited, never hides an edit.
    if (i < 0 || text.charCodeAt(i) !== TAB || i + 65 !== this.lineEnd) return undefined;
    return text.slice(at, this.blockEnd);
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
    // The lines of its includes, if any, start with a tab.
    let blockEnd = this.lineEnd;
    while (blockEnd + 1 < text.length && text.charCodeAt(blockEnd + 1) === TAB) {
      const next = text.indexOf('\n', blockEnd + 1);
      blockEnd = next < 0 ? text.length : next;
    }
    this.blockEnd = blockEnd;
    this.cursor = blockEnd + 1;
    return at;
  }

  private indexed(): Map<string, number> {
    if (this.index) return this.index;
    const text = this.text;
    this.index = new Map();
    for (let start = HEADER.length; start < text.length;) {
      const tab = text.indexOf('\t', start);
      const end = text.indexOf('\n', start);
      // Lines starting with a tab are a patch's includes, not a patch.
      if (tab > start && (end < 0 || tab < end)) this.index.set(text.slice(start, tab), start);
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

/**
 * Where the stat's numbers, each after a tab, end in `text` from `i` (the tab before the first),
 * or -1 when they are not those of `st`.
 */
function statMatches(text: string, i: number, st: FileStat): number {
  for (let k = 0; k < STAT_FIELDS; k++) {
    if (text.charCodeAt(i) !== TAB) return -1;
    i++;
    const negative = text.charCodeAt(i) === MINUS;
    if (negative) i++;
    const digits = i;
    let value = 0;
    for (let c = text.charCodeAt(i); c >= ZERO && c <= NINE; c = text.charCodeAt(++i)) value = value * 10 + (c - ZERO);
    if (i === digits || (negative ? -value : value) !== st[k]) return -1;
  }
  return i;
}

/** Whether a file's times are old enough for its stat to tell every later edit (see the limits above). */
function settled(st: FileStat): boolean {
  return Date.now() - Math.max(timeMs(st, 2), timeMs(st, 3)) > SETTLED_MS;
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
