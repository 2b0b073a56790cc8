/** Text for `lint` results: one line per finding, compiler style (file:line:column: level: ...). */
import type { LintResult, PatchLint } from '../engine/authoring/lint/lint';
import type { LintProjectResult } from '../engine/authoring/lint/project';
import { printJson } from './json';
import { printLines, say } from './terminal';
import { displayPath, formatLocation } from './text';

const MODE: Record<PatchLint['mode'], string> = {
  wrapped: 'linted as run inside the transaction pgpatch adds',
  own: 'linted with its own BEGIN ... COMMIT',
  none: 'linted as run outside a transaction',
  refused: 'not linted: migrate would refuse it',
};

export function renderLint(result: LintProjectResult, o: { json?: boolean; verbose?: boolean }): void {
  if (result.scope === 'no-target')
    say('pgpatch: no target database given: linting every patch (give --dsn or DATABASE_URL to lint only the pending ones)');
  if (o.json) {
    const { scope: _scope, ...rest } = result;
    printJson(rest);
  } else printLines(formatLint(result, o.verbose));
}

export function formatLint(result: LintResult, verbose = false): string[] {
  const lines: string[] = [];
  for (const p of result.patches) {
    if (p.findings.length === 0 && p.mode !== 'refused' && !verbose) continue;
    lines.push(`${displayPath(p.path)}: ${MODE[p.mode]}${p.mode === 'refused' || p.mode === 'none' ? ` (${p.reason})` : ''}`);
    for (const f of p.findings) {
      lines.push(`  ${formatLocation(f.location)}: ${f.level}: ${f.rule}: ${f.message}`);
      for (const t of [...f.trace].reverse()) lines.push(`    included from ${formatLocation(t, false)}`);
      if (f.help) lines.push(`    help: ${f.help}`);
    }
    if (verbose) for (const i of p.ignored) lines.push(`  ${formatLocation(i.location)}: ignored: ${i.rule} (${i.why})`);
  }
  lines.push(summary(result));
  return lines;
}

export function summary(result: LintResult): string {
  const n = result.patches.length;
  const refused = result.patches.filter((p) => p.mode === 'refused').length;
  const ignored = result.patches.reduce((a, p) => a + p.ignored.length, 0);
  const parts = [`${result.errors - refused} error${result.errors - refused === 1 ? '' : 's'}`];
  if (result.warnings) parts.push(`${result.warnings} warning${result.warnings === 1 ? '' : 's'}`);
  if (refused) parts.push(`${refused} patch${refused === 1 ? '' : 'es'} refused`);
  if (ignored) parts.push(`${ignored} ignored`);
  const timeout = result.statementLockTimeoutMs
    ? `; migrate's statement lock timeout (${result.statementLockTimeoutMs} ms) counted`
    : '; no statement lock timeout for migrate';
  return `lint: ${n} patch${n === 1 ? '' : 'es'}, ${parts.join(', ')} (squawk ${result.squawkVersion}${timeout})`;
}
