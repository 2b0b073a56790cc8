/** Text for `try` results: each statement with what it locked, rewrote and built; then the whole patch. */
import type { TryEvent, TryResult } from '../engine/authoring/try/try';
import { EXIT } from '../errors';
import { showScratchServer, showScratchStarted } from './embedded';
import { scriptEventPrinter, statementLockWaitLines } from './events';
import { errorToJson, printJson } from './json';
import { printLines, say } from './terminal';
import { displayPath, formatError, formatLocation } from './text';

/** The result (stdout) and the error that stopped the patch (stderr); returns the exit status: 0 when it ran, the error's when it failed. */
export function renderTry(result: TryResult, o: { json?: boolean; verbose?: boolean }): number {
  if (o.json) printJson({ ...result, error: result.error ? errorToJson(result.error) : undefined });
  else printLines(formatTry(result));
  if (!result.error) return EXIT.ok;
  formatError(result.error, o.verbose).forEach((l) => say(l));
  return result.error.exitCode;
}

/** A watched run that could not run at all (a patch that no longer compiles): said, and the watch goes on. */
export function renderTryError(error: unknown, o: { verbose?: boolean }): void {
  formatError(error, o.verbose).forEach((l) => say(l));
}

export function sayWatching(name: string): void {
  say(`pgpatch: watching ${name} and the schema files; Ctrl-C to stop`);
}

/** The patch's notices and echoes, and a long wait for a lock with who holds it (stderr: stdout is the result). */
export function tryEventPrinter(o: { statementLockTimeoutMs?: number }): (e: TryEvent) => void {
  const printScript = scriptEventPrinter();
  return (e) => {
    if (e.type === 'scratch-started') showScratchStarted(e.server);
    else if (e.type === 'scratch-server') showScratchServer(e.server);
    else if (e.type === 'statement-lock-wait') statementLockWaitLines(e, o.statementLockTimeoutMs).forEach((l) => say(l));
    else printScript(e.type === 'echo' ? { ...e, stream: 'stderr' } : e);
  };
}

export function formatTry(result: TryResult): string[] {
  const how =
    result.transaction === 'own' ? 'in its own BEGIN, rolled back instead of its COMMIT' : 'in a transaction that was rolled back';
  const lines: string[] = [
    result.scratch
      ? `tried ${result.patch} on a scratch database built from ${result.scratch}, dropped after`
      : `tried ${result.patch} on ${result.database}, ${how}`,
  ];
  for (const s of result.statements) {
    const rows = s.rows === null ? '' : `, ${s.rows} row${s.rows === 1 ? '' : 's'}`;
    lines.push(`${formatLocation(s.location, false)}: ${s.summary.trim().slice(0, 80)}  (${s.durationMs} ms${rows})`);
    for (const l of s.locks)
      lines.push(
        `  lock ${l.lock} on ${l.relation}: blocks ${l.blocks.join(', ')}; held ${l.heldMs} ms, until ${result.scratch ? 'the end of the patch' : 'the rollback'} (${size(l.bytes)})`,
      );
    for (const r of s.rewrites) lines.push(`  rewrites ${r.relation} (${size(r.bytes)}${r.rows === null ? '' : `, about ${r.rows} rows`})`);
    for (const b of s.indexBuilds)
      lines.push(`  builds index ${b.index} on ${b.table} (${size(b.bytes)}${b.rows === null ? '' : `, about ${b.rows} rows`})`);
  }
  if (result.error) {
    lines.push(
      result.lasting.length
        ? 'the patch failed (below) and was rolled back, except what no rollback undoes:'
        : 'the patch failed (below) and everything was rolled back',
      ...lastingLines(result),
    );
    return lines;
  }
  lines.push(result.changes.length ? 'what the patch changed:' : 'the patch changed no schema object');
  for (const d of result.changes) lines.push(`- ${d.message}`);
  const m = result.schemaFiles?.majors;
  if (m && m.schemaFiles !== m.database)
    lines.push(
      `note: the schema files were built on PostgreSQL ${m.schemaFiles} and the database is PostgreSQL ${m.database}: what only the major makes (MAINTAIN, extension versions, ...) is left out`,
    );
  if (result.schemaFiles?.matches) lines.push('ok: the database now matches the schema files');
  else if (result.schemaFiles) {
    lines.push('the database now differs from the schema files (is the patch complete? are the schema files updated?):');
    for (const d of result.schemaFiles.differences) lines.push(`- ${d.message}`);
  }
  if (result.hazards.length) lines.push('hazards seen:', ...result.hazards.map((h) => `- ${shortPath(h)}`));
  if (result.scratch) lines.push(`${result.durationMs} ms; the scratch database was dropped`);
  else if (result.lasting.length)
    lines.push(`${result.durationMs} ms; rolled back, except what no rollback undoes:`, ...lastingLines(result));
  else lines.push(`${result.durationMs} ms; rolled back: nothing was committed`);
  return lines;
}

/** What stayed after the rollback: sequences the patch moved. */
function lastingLines(result: TryResult): string[] {
  return result.lasting.map((l) => {
    const moved =
      l.after === null
        ? `set back by setval (it was at ${l.before})`
        : l.before === null
          ? `used for the first time, now at ${l.after}`
          : `advanced from ${l.before} to ${l.after}`;
    return `- sequence ${l.object} ${moved}: nextval and setval are not rolled back`;
  });
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} kB`;
  return `${Math.round(bytes / 1024 / 1024)} MB`;
}

function shortPath(hazard: string): string {
  const colon = hazard.indexOf(':');
  return colon > 0 ? displayPath(hazard.slice(0, colon)) + hazard.slice(colon) : hazard;
}
