/** A script file read from disk, with what is needed to turn offsets into lines and columns. */
import { readFileSync } from 'node:fs';
import { FileError, type SourceLocation } from '../../errors';

export class ScriptFile {
  private lineStarts: number[] | undefined;

  constructor(readonly path: string, readonly text: string) {}

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
 * Reads a script as UTF-8. A file that is not valid UTF-8 is refused with where its first bad
 * byte is: the server would refuse it anyway, with a less helpful message.
 */
export function readScript(path: string, location?: SourceLocation, trace: SourceLocation[] = []): ScriptFile {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new FileError(path, reason, location, trace);
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    const at = locateInvalidUtf8(bytes);
    throw new FileError(path, `not valid UTF-8 (line ${at.line}, byte ${at.byte}) at column ${at.column} of that line; convert it, e.g. with iconv -f latin1 -t utf-8`, location, trace);
  }
  // A byte order mark would reach the server as part of the first statement.
  if (text.charCodeAt(0) === 0xfeff) text = ' ' + text.slice(1);
  return new ScriptFile(path, text);
}

/**
 * Where the first bad byte is. `line` and `byte` are 1-based and count in the file, as cmp(1)
 * does (`xxd -s <byte - 1>` shows it). `column` is the column of file:line:column in the other
 * messages: the characters (code points) before it on its line, plus one. Everything before the
 * bad byte is valid UTF-8, so those characters are well defined; a byte order mark counts as
 * one, as in ScriptFile.locate.
 */
function locateInvalidUtf8(bytes: Buffer): { line: number; column: number; byte: number } {
  const bad = firstInvalidUtf8(bytes);
  let line = 1;
  let lineStart = 0;
  for (let i = bytes.indexOf(0x0a); i >= 0 && i < bad; i = bytes.indexOf(0x0a, i + 1)) {
    line++;
    lineStart = i + 1;
  }
  // Buffer's decoder, not TextDecoder: TextDecoder would drop a byte order mark.
  const column = [...bytes.toString('utf8', lineStart, bad)].length + 1;
  return { line, column, byte: bad + 1 };
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
