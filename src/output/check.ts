/** Text for `check` results. */
import type { CheckEvent, CheckResult } from '../engine/schema/check/check';
import { showScratchServer, showScratchStarted } from './embedded';
import { scriptEventPrinter } from './events';
import { printJson } from './json';
import { printLines, say } from './terminal';

/** `strictFlag: false` where no --strict makes column order fail (migrate's comparison before a baseline, where --strict means something else). */
export function formatCheck(result: CheckResult, { strictFlag = true } = {}): string[] {
  const lines: string[] = [];
  if (result.base) {
    const added = result.base.patchesAdded;
    lines.push(
      `compared the schema files with the schema files at ${result.base.ref} (${result.base.commit.slice(0, 12)}) plus ${added.length} patch${added.length === 1 ? '' : 'es'} since${added.length ? `: ${added.join(', ')}` : ''}`,
    );
  } else {
    lines.push(`compared the schema files with ${result.actual}`);
  }
  const m = result.majors;
  if (m && m.schemaFiles !== m.live)
    lines.push(
      `note: the schema files were built on PostgreSQL ${m.schemaFiles} and the live database is PostgreSQL ${m.live}: what only the major makes (MAINTAIN, extension versions, ...) is left out`,
    );
  if (result.differences.length === 0) {
    lines.push('ok: they describe the same database');
    return lines;
  }
  for (const d of result.differences) {
    const note =
      d.kind === 'column_order' && result.failing < result.differences.length
        ? strictFlag
          ? ' (column order: fails only with --strict)'
          : ' (column order: does not block)'
        : '';
    lines.push(`- ${d.message}${note}`);
  }
  lines.push(
    result.ok
      ? `ok: only column order differs (${result.differences.length})${strictFlag ? '; --strict makes that fail' : ''}`
      : `${result.failing} difference${result.failing === 1 ? '' : 's'}`,
  );
  return lines;
}

export function renderCheck(result: CheckResult, o: { json?: boolean }): void {
  if (o.json) printJson(result);
  else printLines(formatCheck(result));
}

/** What check says while it builds (stderr): each scratch database, a retry, what could not be dropped. */
export function checkEventPrinter(): (e: CheckEvent) => void {
  const printScript = scriptEventPrinter();
  return (e) => {
    if (e.type === 'building') say(`pgpatch: building ${e.what} (scratch database ${e.database}) in ${e.target}`);
    else if (e.type === 'scratch-started') showScratchStarted(e.server);
    else if (e.type === 'scratch-server') showScratchServer(e.server);
    else if (e.type === 'retry')
      say(
        `pgpatch: building ${e.what} failed (${e.error}); the other build, running at the same time on the same server's roles, can cause this kind of error, so it is built again, alone`,
      );
    else if (e.type === 'leftover')
      say(
        `pgpatch: warning: could not drop the scratch database${e.databases.length === 1 ? '' : 's'} ${e.databases.join(', ')} (${e.error}): drop ${e.databases.length === 1 ? 'it' : 'them'} by hand`,
      );
    // \echo goes to stderr: stdout is the result (and must stay JSON with --json).
    else if (e.type === 'echo') printScript({ ...e, stream: 'stderr' });
    else if (e.type !== 'notice') printScript(e);
  };
}
