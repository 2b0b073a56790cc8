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
 * Reads a script as UTF-8. A file that is not valid UTF-8 is refused with the line of the
 * first bad byte: the server would refuse it anyway, with a less helpful message.
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
    const bad = firstInvalidUtf8(bytes);
    const line = bytes.subarray(0, bad).toString('latin1').split('\n').length;
    throw new FileError(path, `not valid UTF-8 (line ${line}, byte ${bad + 1}); convert it, e.g. with iconv -f latin1 -t utf-8`, location, trace);
  }
  // A byte order mark would reach the server as part of the first statement.
  if (text.charCodeAt(0) === 0xfeff) text = ' ' + text.slice(1);
  return new ScriptFile(path, text);
}

function firstInvalidUtf8(bytes: Buffer): number {
  let lo = 0;
  let hi = bytes.length;
  // Binary search for the shortest prefix that fails to decode.
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid + 1), { stream: true });
      lo = mid + 1;
    } catch {
      hi = mid;
    }
  }
  return lo;
}
