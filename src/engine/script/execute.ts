/**
 * Runs compiled steps one by one on one session, as `psql -X -v ON_ERROR_STOP=1 -f` does:
 * autocommit unless the script says BEGIN, stop at the first error.
 */
import { createReadStream } from 'node:fs';
import { FileError, SqlError, type SourceLocation } from '../../errors';
import { isServerError, toServerMessage, type Notice, type Session } from '../db';
import type { CopyStep, SqlStep, Step } from './compile';
import type { Segment } from './lexer';

export type ScriptEvent =
  | { type: 'notice'; notice: Notice; location?: SourceLocation }
  | { type: 'echo'; text: string; stream: 'stdout' | 'stderr' }
  | { type: 'warning'; message: string; location: SourceLocation };

export interface ExecuteOptions {
  onEvent?: (event: ScriptEvent) => void;
}

export interface ExecuteResult {
  statements: number;
  rowsCopied: number;
}

export async function executeSteps(session: Session, steps: Step[], options: ExecuteOptions = {}): Promise<ExecuteResult> {
  const emit = options.onEvent ?? (() => undefined);
  const result: ExecuteResult = { statements: 0, rowsCopied: 0 };
  let current: SqlStep | CopyStep | undefined;
  session.onNotice((notice) => emit({ type: 'notice', notice, location: current && current.file.locate(current.start) }));
  try {
    for (const step of steps) {
      if (step.kind === 'echo') {
        emit({ type: 'echo', text: step.text, stream: step.stream });
        continue;
      }
      if (step.kind === 'warning') {
        emit({ type: 'warning', message: step.message, location: step.location });
        continue;
      }
      current = step;
      if (step.kind === 'sql') await runStatement(session, step);
      else result.rowsCopied += await runCopy(session, step);
      result.statements++;
    }
  } finally {
    session.onNotice(undefined);
  }
  return result;
}

export async function runStatement(session: Session, step: SqlStep): Promise<void> {
  try {
    await session.query(step.text);
  } catch (e) {
    throw isServerError(e) ? sqlErrorFor(e, step) : e;
  }
}

async function runCopy(session: Session, step: CopyStep): Promise<number> {
  const here = step.file.locate(step.start);
  const stream = createReadStream(step.dataFile);
  // Open the file first so that a missing file is reported as such, not as a COPY failure.
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (e: NodeJS.ErrnoException) =>
      reject(new FileError(step.dataFile, e.code === 'ENOENT' ? 'no such file' : e.message, here, step.trace)));
  });
  try {
    return await session.copyFrom(step.sql, stream);
  } catch (e) {
    if (!isServerError(e)) throw e;
    return Promise.reject(new SqlError(toServerMessage(e), step.sql, here, undefined, step.trace, undefined));
  }
}

/** Maps the server's error position (1-based, in characters) back to the script's file. */
export function sqlErrorFor(e: import('pg').DatabaseError, step: SqlStep): SqlError {
  const statementLocation = step.file.locate(step.start);
  let location: SourceLocation | undefined;
  let offset: number | undefined;
  if (e.position) {
    offset = charIndexToOffset(step.text, Number(e.position) - 1);
    location = step.file.locate(mapToSource(step.segments, offset));
  }
  return new SqlError(toServerMessage(e), step.text, statementLocation, location, step.trace, offset);
}

/** The server counts characters (code points); JavaScript strings count UTF-16 units. */
function charIndexToOffset(text: string, chars: number): number {
  let offset = 0;
  for (let n = 0; n < chars && offset < text.length; n++) {
    const c = text.charCodeAt(offset);
    offset += c >= 0xd800 && c <= 0xdbff ? 2 : 1;
  }
  return offset;
}

export function mapToSource(segments: Segment[], offset: number): number {
  let seg = segments[0];
  for (const s of segments) {
    if (s.out > offset) break;
    seg = s;
  }
  if (!seg) return 0;
  return seg.verbatim ? seg.src + (offset - seg.out) : seg.src;
}
