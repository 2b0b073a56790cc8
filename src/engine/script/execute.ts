/**
 * Runs compiled steps on one session: one by one, as `psql -X -v ON_ERROR_STOP=1 -f` does
 * (executeSteps: autocommit unless the script says BEGIN, stop at the first error), or, for
 * steps inside one transaction, all as one message (executeBatch). Either way errors and
 * notices are placed at their file, line and column.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { FileError, SqlError, type SourceLocation } from '../../errors';
import { isServerError, toServerMessage, type BatchHandlers, type BatchResult, type DatabaseError, type Notice, type Session } from '../db';
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

/** One statement, through the batch path: results are not wanted, so none are built. */
export async function runStatement(session: Session, step: SqlStep): Promise<void> {
  const { error } = await session.batch(step.text);
  if (error) throw sqlErrorFor(error, step);
}

/** Runs a COPY step: `\\copy` from its file, or `COPY ... FROM stdin` with the rows in the script. */
export async function runCopy(session: Session, step: CopyStep): Promise<number> {
  const here = step.file.locate(step.start);
  if (step.inline) return runInlineCopy(session, step, step.inline);
  const stream = createReadStream(step.dataFile!);
  // Open the file first so that a missing file is reported as such, not as a COPY failure.
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (e: NodeJS.ErrnoException) =>
      reject(new FileError(step.dataFile!, e.code === 'ENOENT' ? 'no such file' : e.message, here, step.trace)),
    );
  });
  try {
    return await session.copyFrom(step.sql, stream);
  } catch (e) {
    if (!isServerError(e)) throw e;
    return Promise.reject(new SqlError(toServerMessage(e), step.sql, here, undefined, step.trace, undefined));
  }
}

/**
 * `COPY ... FROM stdin` with its data in the script. An error in the data points at the row's
 * line in the script: the server's CONTEXT says "COPY t, line N" counting from the first data line.
 */
async function runInlineCopy(session: Session, step: CopyStep, data: { text: string; start: number }): Promise<number> {
  try {
    return await session.copyFrom(step.sql, Readable.from([Buffer.from(data.text, 'utf8')]));
  } catch (e) {
    if (!isServerError(e)) throw e;
    const here = step.file.locate(step.start);
    const row = /^COPY .*?, line (\d+)/m.exec(e.where ?? '');
    const location = row ? { file: step.file.path, line: step.file.locate(data.start).line + Number(row[1]) - 1, column: 1 } : undefined;
    throw new SqlError(toServerMessage(e), step.sql, here, location, step.trace, undefined);
  }
}

/** Maps the server's error position (1-based, in characters) back to the script's file. */
export function sqlErrorFor(e: DatabaseError, step: SqlStep): SqlError {
  return sqlErrorAt(e, step, e.position ? charIndexToOffset(step.text, Number(e.position) - 1) : undefined);
}

/** The error of a statement, with the place in it (UTF-16 offset in `step.text`) when known. */
function sqlErrorAt(e: DatabaseError, step: SqlStep, offset: number | undefined): SqlError {
  const statementLocation = step.file.locate(step.start);
  const location = offset === undefined ? undefined : step.file.locate(mapToSource(step.segments, offset));
  return new SqlError(toServerMessage(e), step.text, statementLocation, location, step.trace, offset);
}

/** A statement pgpatch adds to a batch (BEGIN, the record, COMMIT), and what its failure means. */
export interface ExtraStatement {
  sql: string;
  /** The error to throw when this statement fails; the server's own otherwise. */
  onError?: (e: DatabaseError) => Error;
  /** Each row it returns, as text values (in a batch; see Session.batch). */
  onRow?: (values: Array<string | null>) => void;
}

/** Beyond this, a script goes statement by statement (a data load should not be parsed whole). */
const BATCH_MAX_CHARS = 1_000_000;
const BATCH_MAX_STATEMENTS = 5_000;
/** Settings that change how the server reads the text after them: see Session.batch. */
const CHANGES_READING = /\b(standard_conforming_strings|client_encoding|backslash_quote)\b/i;

/**
 * Whether the steps can go to the server as one batch: plain SQL only (an \echo, a warning or
 * a \copy keeps its place between statements only when they run one by one), and not too much.
 */
export function canBatch(steps: Step[]): steps is SqlStep[] {
  if (steps.length > BATCH_MAX_STATEMENTS) return false;
  let chars = 0;
  for (const s of steps) {
    if (s.kind !== 'sql' || CHANGES_READING.test(s.text)) return false;
    chars += s.text.length;
    if (chars > BATCH_MAX_CHARS) return false;
  }
  return true;
}

export interface Part {
  start: number;
  step?: SqlStep;
  extra?: ExtraStatement;
}

/** A batch as one message: its text, and where each item starts in it (to place errors). */
export interface BatchMessage {
  text: string;
  parts: Part[];
  /** The script's own statements among the items. */
  statements: number;
}

export function batchMessage(items: Array<SqlStep | ExtraStatement>): BatchMessage {
  const parts: Part[] = [];
  const texts: string[] = [];
  let length = 0;
  let statements = 0;
  for (const item of items) {
    const isStep = 'kind' in item;
    const sql = isStep ? item.text : item.sql;
    // A statement's text ends at its semicolon, or at the end of its file without one.
    const text = /;\s*$/.test(sql) ? sql : `${sql}\n;`;
    parts.push(isStep ? { start: length, step: item } : { start: length, extra: item });
    texts.push(text);
    length += text.length + 1;
    if (isStep) statements++;
  }
  return { text: texts.join('\n'), parts, statements };
}

/**
 * Runs the items, a script's statements with pgpatch's own among them, as one batch
 * (Session.batch): one round trip for a whole patch. Meant for statements inside one
 * transaction, where stopping at the first error is what running them one by one would do too.
 * Errors are placed in the script as executeSteps places them: by the server's position, else
 * at the statement that was running.
 */
export async function executeBatch(
  session: Session,
  items: Array<SqlStep | ExtraStatement>,
  options: ExecuteOptions = {},
): Promise<ExecuteResult> {
  return sendBatch(session, batchMessage(items), options.onEvent ?? (() => undefined), false)!;
}

/** A batch written to the server ahead of its turn (executeBatchAhead). */
export interface BatchAhead {
  /**
   * Its outcome. Its events (notices) are held until this is called, then given in order, then
   * as they come: the server may run it before the caller has reported the work before it, and
   * a notice must not land in the middle of that.
   */
  take(): Promise<ExecuteResult>;
}

/**
 * Like executeBatch, but written to the server now, behind what it may be running
 * (Session.sendAhead); undefined, and nothing sent, when it cannot go ahead. The outcome may
 * be a failure before anyone takes it: it is not reported as unhandled.
 */
export function executeBatchAhead(session: Session, message: BatchMessage, options: ExecuteOptions = {}): BatchAhead | undefined {
  const emit = options.onEvent ?? (() => undefined);
  let held: ScriptEvent[] | undefined = [];
  const sent = sendBatch(session, message, (e) => (held ? held.push(e) : emit(e)), true);
  if (!sent) return undefined;
  sent.catch(() => undefined);
  return {
    take() {
      const events = held ?? [];
      held = undefined;
      for (const e of events) emit(e);
      return sent;
    },
  };
}

function sendBatch(
  session: Session,
  message: BatchMessage,
  emit: (e: ScriptEvent) => void,
  ahead: boolean,
): Promise<ExecuteResult> | undefined {
  let current: Part | undefined = message.parts[0];
  const handlers: BatchHandlers = {
    onProgress: (completed) => (current = message.parts[completed]),
    onNotice: (notice) => emit({ type: 'notice', notice, location: current?.step && current.step.file.locate(current.step.start) }),
    onRow: (completed, values) => message.parts[completed]?.extra?.onRow?.(values),
  };
  const sent = ahead ? session.sendAhead(message.text, handlers) : session.batch(message.text, handlers);
  return sent?.then((result) => outcomeOf(message, result));
}

function outcomeOf({ text, parts, statements }: BatchMessage, result: BatchResult): ExecuteResult {
  const e = result.error;
  if (!e) return { statements, rowsCopied: 0 };
  let part = parts[Math.min(result.completed, parts.length - 1)];
  let offset: number | undefined;
  if (e.position) {
    const at = charIndexToOffset(text, Number(e.position) - 1);
    part = parts[0];
    for (const p of parts) if (p.start <= at) part = p;
    offset = at - part.start;
  }
  if (part.step) throw sqlErrorAt(e, part.step, offset);
  throw part.extra?.onError ? part.extra.onError(e) : e;
}

/** The server counts characters (code points); JavaScript strings count UTF-16 units. */
export function charIndexToOffset(text: string, chars: number): number {
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
