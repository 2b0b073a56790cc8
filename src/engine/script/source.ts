/** A script file read from disk, with what is needed to turn offsets into lines and columns. */
import { closeSync, openSync, readFileSync, readSync, statSync, type Stats } from 'node:fs';
import { FileError, type SourceLocation } from '../../errors';

export class ScriptFile {
  private lineStarts: number[] | undefined;

  /** `bytes`: the file as read, of which `text` is the decoding. */
  constructor(
    readonly path: string,
    readonly text: string,
    readonly bytes: Buffer = Buffer.from(text),
  ) {}

  /** 1-based line and column (in characters) of an offset in `text`. */
  locate(offset: number): SourceLocation {
    const starts = (this.lineStarts ??= computeLineStarts(this.text));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    const column = [...this.text.slice(starts[lo], offset)].length + 1;
    return { file: this.path, line: lo + 1, column };
  }
}

function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The most a script file may hold. Scripts are read whole (split before anything runs), and a
 * JavaScript string holds at most ~512 M characters (V8): 256 MiB keeps well inside that and
 * stops `\i /dev/zero`-like input early. A bigger file (a pg_dump with much data) is for psql.
 */
export const MAX_SCRIPT_BYTES = 256 * 1024 * 1024;

export interface ReadOptions {
  /** Refuse anything but a regular file (for `\i`: a FIFO would block, a device never end). */
  regularOnly?: boolean;
}

/**
 * Reads a script as UTF-8. A file that is not valid UTF-8, or holds a NUL byte (which PostgreSQL
 * cannot take in a statement), is refused with where its first bad byte is: the server would
 * refuse it anyway, with a less helpful message, after the statements before it ran.
 */
export function readScript(path: string, location?: SourceLocation, trace: SourceLocation[] = [], options: ReadOptions = {}): ScriptFile {
  const bytes = readBytes(path, location, trace, options);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    const at = locateInvalidUtf8(bytes);
    throw new FileError(
      path,
      `not valid UTF-8 (line ${at.line}, byte ${at.byte}) at column ${at.column} of that line; convert it, e.g. with iconv -f latin1 -t utf-8`,
      location,
      trace,
    );
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    const at = locateByte(bytes, nul);
    throw new FileError(
      path,
      `holds a NUL byte (line ${at.line}, byte ${at.byte}) at column ${at.column} of that line, which PostgreSQL cannot take in a statement; is it a text file?`,
      location,
      trace,
    );
  }
  // A byte order mark would reach the server as part of the first statement.
  if (text.charCodeAt(0) === 0xfeff) text = ' ' + text.slice(1);
  return new ScriptFile(path, text, bytes);
}

function readBytes(path: string, location: SourceLocation | undefined, trace: SourceLocation[], options: ReadOptions): Buffer {
  const fail = (e: unknown): never => {
    if (e instanceof FileError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : code === 'ELOOP'
              ? 'a loop of symbolic links'
              : (e as Error).message;
    throw new FileError(path, reason, location, trace);
  };
  let fd: number | undefined;
  try {
    // stat before open: opening a FIFO blocks until someone writes to it.
    const st = statSync(path);
    if (st.isDirectory()) throw new FileError(path, 'is a directory', location, trace);
    if (options.regularOnly && !st.isFile())
      throw new FileError(path, `not a regular file (${fileKind(st)}); only files can be included`, location, trace);
    if (st.size > MAX_SCRIPT_BYTES) throw new FileError(path, tooBig(), location, trace);
    // A regular file has the size stat gave: read whole (chunks and a copy cost ~40 % more).
    if (st.isFile()) return readFileSync(path);
    fd = openSync(path, 'r');
    // A pipe or a device has no size: read with a cap.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, MAX_SCRIPT_BYTES + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
      total += n;
      if (total > MAX_SCRIPT_BYTES) throw new FileError(path, tooBig(), location, trace);
    }
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
  } catch (e) {
    return fail(e);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function tooBig(): string {
  return `larger than ${MAX_SCRIPT_BYTES / 1024 / 1024} MiB, the most pgpatch reads of one script (it reads each whole before running any); load a file that big with psql`;
}

function fileKind(st: Stats): string {
  if (st.isFIFO()) return 'a named pipe';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}

/** Line (1-based), byte (1-based, as cmp counts) and column (characters) of a byte offset. */
function locateByte(bytes: Buffer, offset: number): { line: number; column: number; byte: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = bytes.indexOf(0x0a); i >= 0 && i < offset; i = bytes.indexOf(0x0a, i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: [...bytes.toString('utf8', lineStart, offset)].length + 1, byte: offset + 1 };
}

/**
 * Where the first bad byte is. `line` and `byte` are 1-based and count in the file, as cmp(1)
 * does (`xxd -s <byte - 1>` shows it). `column` is the column of file:line:column in the other
 * messages: the characters (code points) before it on its line, plus one. Everything before the
 * bad byte is valid UTF-8, so those characters are well defined; a byte order mark counts as
 * one, as in ScriptFile.locate.
 */
function locateInvalidUtf8(bytes: Buffer): { line: number; column: number; byte: number } {
  // Buffer's decoder (in locateByte), not TextDecoder: TextDecoder would drop a byte order mark.
  return locateByte(bytes, firstInvalidUtf8(bytes));
}

/**
 * Offset of the first byte that does not begin a well-formed UTF-8 sequence (Unicode, table 3-7,
 * the rules TextDecoder follows): a byte that is never valid (\xc0, \xc1, \xf5-\xff), a
 * continuation byte with no lead byte, or a lead byte whose sequence is cut short, by a byte that
 * cannot continue it or by the end of the file. In that last case the lead byte is the bad one,
 * not the byte after it: `select 'caf\xc3';` points at \xc3, not at the quote.
 *
 * (A binary search for the shortest prefix that a streaming decoder refuses got that wrong: a
 * streaming decoder accepts an unfinished sequence, waiting for more, and refuses only at the byte
 * that cannot continue it, or never when the file ends first.)
 */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    // How many continuation bytes follow the lead, and the range of the first one, which is
    // narrower after some leads: that rules out overlong forms, surrogates and > U+10FFFF.
    let more: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) more = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      more = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      more = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= more; k++) {
      // Past the end, `c` is undefined and the comparisons are false: cut short.
      const c = bytes[i + k];
      if (!(c >= (k === 1 ? lo : 0x80) && c <= (k === 1 ? hi : 0xbf))) return i;
    }
    i += more + 1;
  }
  // Only called on bytes TextDecoder refused: not reached, unless the two disagree.
  throw new Error('firstInvalidUtf8: no invalid byte found in bytes the decoder refused');
}
