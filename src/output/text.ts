/** Text for people, built from the engine's data. The only place that formats errors. */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import {
  CheckBuildError,
  ConnectionError,
  InterruptedError,
  FileError,
  PatchFailedError,
  PatchInvalidError,
  PatchSetError,
  IncludeCycleError,
  LockTimeoutError,
  MetaCommandError,
  NoTargetError,
  PgpatchError,
  SqlError,
  StatementLockTimeoutError,
  TryRefusedError,
  type BlockingSession,
  type ServerMessage,
  type SourceLocation,
} from '../errors';

export function displayPath(path: string, cwd = process.cwd()): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') ? rel : path;
}

export function formatLocation(loc: SourceLocation, withColumn = true): string {
  return `${displayPath(loc.file)}:${loc.line}${withColumn ? `:${loc.column}` : ''}`;
}

function traceLines(trace: SourceLocation[]): string[] {
  return [...trace].reverse().map((t) => `  included from ${formatLocation(t, false)}`);
}

/** The source line with a caret under the column, like psql's "LINE 3: ... ^". */
export function caretLines(loc: SourceLocation): string[] {
  let text: string;
  try {
    text = readFileSync(loc.file, 'utf8').split('\n')[loc.line - 1] ?? '';
  } catch {
    return [];
  }
  const gutter = String(loc.line);
  const prefix = [...text]
    .slice(0, loc.column - 1)
    .map((c) => (c === '\t' ? '\t' : ' '))
    .join('');
  return [`  ${gutter} | ${text.replace(/\r$/, '')}`, `  ${' '.repeat(gutter.length)} | ${prefix}^`];
}

export function serverDetails(m: ServerMessage): string[] {
  const out: string[] = [];
  // CONTEXT often has several lines (a PL/pgSQL stack): each becomes a line, under the first.
  const add = (label: string, text: string) => text.split('\n').forEach((l, i) => out.push(`${i ? ' '.repeat(label.length) : label}${l}`));
  if (m.detail) add('DETAIL:  ', m.detail);
  if (m.hint) add('HINT:  ', m.hint);
  if (m.where) add('CONTEXT:  ', m.where);
  return out.map((l) => `  ${l}`);
}

/** Lines for stderr describing an error; `verbose` adds statements and causes. */
export function formatError(error: unknown, verbose = false): string[] {
  return errorLines(error, verbose, 'pgpatch: ');
}

/**
 * An error that caused the one above it, indented under it: its lines without a second
 * "pgpatch: error:" (the one above says it already).
 */
function causeLines(cause: unknown, verbose: boolean): string[] {
  return errorLines(cause, verbose, '').map((l) => `  ${l}`);
}

/** `program`: what starts a line that names no file ("pgpatch: " at the top, nothing under another error). */
function errorLines(error: unknown, verbose: boolean, program: string): string[] {
  const head = program ? `${program}error: ` : '';
  if (!(error instanceof PgpatchError)) {
    const e = error as Error;
    return [
      `${program}internal error: ${e?.message ?? String(error)}`,
      ...(e?.stack
        ? e.stack
            .split('\n')
            .slice(1)
            .map((l) => `  ${l.trim()}`)
        : []),
      'This is a bug in pgpatch; please report it with the lines above.',
    ];
  }
  const lines: string[] = [];
  // A stop the user asked for: what failed because of it (dropped scratch databases, a lost
  // connection) is no error to report, unless asked.
  if (error instanceof InterruptedError)
    return [`${program}${error.message}`, ...(verbose && error.cause ? causeLines(error.cause, true) : [])];
  if (error instanceof PatchFailedError && error.cause instanceof StatementLockTimeoutError) {
    return patchFailedLines(
      error,
      verbose,
      program,
      error.recorded === 'failed'
        ? `recorded as failed (stage ${error.stage}): it ran outside a transaction, so the statements before this one stay applied. Check them, then migrate --retry ${error.patch} once the lock is free.`
        : 'nothing of it was applied: it was rolled back and is not recorded (patches before it are applied and recorded). Run migrate again later, when those sessions have finished.',
    );
  }
  if (error instanceof PatchFailedError) {
    return patchFailedLines(
      error,
      verbose,
      program,
      error.recorded === 'failed'
        ? `recorded as failed (stage ${error.stage}); see showmigrations. Patches before it are applied and recorded.`
        : error.recorded === 'applying'
          ? `it ran outside a transaction, so nothing of it was undone, and its record could not be updated: it still says "applying". Check what it did, then migrate --fake ${error.patch} or --retry ${error.patch}.`
          : 'it was rolled back and is not recorded; patches before it are applied and recorded. Fix it and run migrate again.',
    );
  }
  if (error instanceof PatchSetError) {
    lines.push(`${head}${error.message}`, ...error.files.map((f) => `  ${displayPath(f)}`));
  } else if (error instanceof PatchInvalidError || (error instanceof TryRefusedError && error.location)) {
    lines.push(`${error.location ? `${formatLocation(error.location)}: error: ` : head}${error.message}`);
  } else if (error instanceof SqlError) {
    const at = error.location ?? error.statementLocation;
    lines.push(`${formatLocation(at)}: ${error.server.severity}:  ${error.server.message} (SQLSTATE ${error.server.sqlstate})`);
    lines.push(...traceLines(error.trace));
    lines.push(...(error.location ? caretLines(error.location) : [`  in the statement starting at line ${error.statementLocation.line}`]));
    lines.push(...serverDetails(error.server));
    if (verbose) lines.push('  statement:', ...error.statement.split('\n').map((l) => `    ${l}`));
  } else if (error instanceof FileError) {
    lines.push(
      error.location
        ? `${formatLocation(error.location)}: error: ${error.reason}: ${displayPath(error.path)}`
        : `${head}${error.reason}: ${displayPath(error.path)}`,
    );
    lines.push(...traceLines(error.trace));
    if (error.location) lines.push(...caretLines(error.location));
  } else if (error instanceof IncludeCycleError) {
    const last = error.trace[error.trace.length - 1];
    lines.push(`${formatLocation(last)}: error: include cycle: ${displayPath(error.path)} is already being included`);
    lines.push('  include trace, outermost first:');
    lines.push(...error.trace.map((t) => `    ${formatLocation(t, false)}`));
  } else if (error instanceof MetaCommandError) {
    lines.push(`${formatLocation(error.location)}: error: ${error.message}`);
    lines.push(...traceLines(error.trace));
  } else if (error instanceof NoTargetError) {
    lines.push(`${head}no target database given. Give one of:`);
    lines.push(...error.ways.map((w) => `  ${w}`));
  } else if (error instanceof LockTimeoutError) {
    lines.push(`${head}${error.message}`);
    for (const h of error.holders) {
      lines.push(
        `  held by pid ${h.pid} (${h.applicationName || 'no application_name'}, user ${h.user}${h.clientAddr ? ` from ${h.clientAddr}` : ''}) since ${h.backendStart}`,
      );
    }
  } else if (error instanceof StatementLockTimeoutError) {
    lines.push(`${head}${error.message}`);
    lines.push(...error.blockers.map((b) => `  held by ${formatBlocker(b)}`));
    if (!error.blockers.length) lines.push('  (the sessions holding it were not seen: the wait ended before pgpatch looked)');
    if (error.cause instanceof PgpatchError) lines.push(...causeLines(error.cause, verbose));
  } else if (error instanceof ConnectionError) {
    lines.push(`${head}${error.message}`);
  } else if (error instanceof CheckBuildError && error.cause instanceof PatchFailedError) {
    // Not migrate's advice (the record, the patches before it applied, run migrate again): inside
    // check the patch ran in a scratch database that is dropped, so that would mislead.
    lines.push(`${head}${error.message}`);
    lines.push(
      ...patchFailedLines(
        error.cause,
        verbose,
        '',
        'it failed while check built its scratch database (the schema files at the base plus the patches since), which is dropped: ' +
          'nothing was changed or recorded in any real database. Fix the patch and run check again.',
      ).map((l) => `  ${l}`),
    );
  } else {
    lines.push(`${head}${error.message}`);
    // Errors that wrap another (a check build that failed on an SQL error) show it below.
    if (error.cause instanceof PgpatchError) lines.push(...causeLines(error.cause, verbose));
  }
  if (error.hint) lines.push(`  hint: ${error.hint}`);
  if (verbose && error.cause instanceof Error && error.cause.stack) lines.push(`  cause: ${error.cause.stack}`);
  return lines;
}

/** A session holding a lock a patch waits for, on one line. Timestamps lose their fraction of a second. */
export function formatBlocker(b: BlockingSession): string {
  const time = (t: string | null) => t && t.replace(/\.\d+/, '');
  const who = [
    b.applicationName ? `application "${b.applicationName}"` : 'no application_name',
    b.user && `user ${b.user}`,
    b.clientAddr && `from ${b.clientAddr}`,
  ]
    .filter(Boolean)
    .join(', ');
  const what = [
    b.state && `${b.state}${b.stateSince ? ` since ${time(b.stateSince)}` : ''}`,
    b.transactionStart && `transaction started ${time(b.transactionStart)}`,
    b.queryStart && `last query started ${time(b.queryStart)}`,
  ]
    .filter(Boolean)
    .join(', ');
  const query = b.query.replace(/\s+/g, ' ').trim();
  return `pid ${b.pid} (${who})${what ? `: ${what}` : ''}${query ? `: ${query.length > 120 ? `${query.slice(0, 117)}...` : query}` : ''}`;
}

/** A failed patch: which, why (file:line and the server's error), then what it means now. */
function patchFailedLines(error: PatchFailedError, verbose: boolean, program: string, advice: string): string[] {
  return [`${program}error: ${error.message}`, ...causeLines(error.cause, verbose), `  ${advice}`];
}

export function formatNotice(m: ServerMessage, at?: SourceLocation): string {
  const where = at ? `${formatLocation(at, false)}: ` : '';
  return [`${where}${m.severity}:  ${m.message}`, ...serverDetails(m)].join('\n');
}
