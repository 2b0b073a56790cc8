/** Text for migrate and showmigrations results. */
import type { RunEvent, RunResult } from '../engine/migrate/run';
import type { CheckEvent } from '../engine/schema/check/check';
import type { ScriptEvent } from '../engine/script/execute';
import { checkEventPrinter, formatCheck } from './check';
import { scriptEventPrinter, statementLockWaitLines } from './events';
import { formatLint } from './lint';
import type { MigrateResult, PatchCopy } from '../engine/migrate/types';
import type { NotPatch } from '../engine/patches/files';
import type { Target } from '../target';
import type { ShowResult } from '../engine/migrate/showmigrations';
import type { PatchState } from '../engine/patches/status';
import { printJson } from './json';
import { announceTarget, closeLine, endLine, passOn, printLines, say, startLine } from './terminal';

const MARK: Record<PatchState, string> = {
  applied: '[X]',
  assumed: '[A]',
  skipped: '[S]',
  pending: '[ ]',
  pending_post: '[P]',
  failed: '[!]',
  applying: '[!]',
};

const LABEL: Record<PatchState, string> = {
  applied: 'applied',
  assumed: 'assumed (recorded at baseline, not run)',
  skipped: 'skipped forever',
  pending: 'pending',
  pending_post: 'pending: its post scripts did not finish',
  failed: 'failed',
  applying: 'interrupted',
};

export function renderShow(result: ShowResult, o: { json?: boolean }): void {
  if (o.json) printJson(result);
  else printLines(formatShow(result));
}

/** Why a file is not a patch, in words. */
export function notPatchReason(n: NotPatch): string {
  if (n.reason === 'not_a_date') return `${n.name.slice(0, 10)} is not a date`;
  if (n.reason === 'misplaced') return 'it is not in the patches folder or an archive folder of it (YYYY/ or YYYY/MM/)';
  return 'its name does not start with a date (YYYY-MM-DD)';
}

/** Whose copy a patch is, and who allowed it: `a byte-identical copy of X, applied (--allow-copy)`. */
export function copyOf(c: PatchCopy): string {
  const state = c.copyOfState === 'pending' ? 'run before it' : c.copyOfState;
  return `a byte-identical copy of ${c.copyOf}, ${state} (${c.allowedBy === 'prompt' ? 'you said yes' : '--allow-copy'})`;
}

export function formatShow(result: ShowResult): string[] {
  const lines: string[] = [];
  if (result.halfBuilt) {
    const h = result.halfBuilt;
    lines.push(
      `${result.database}: half-built database: its first-run build from the schema files ${h.status === 'failed' ? 'failed' : 'was interrupted'} (${h.date.slice(0, 16).replace('T', ' ')}): recreate it (drop and create it, then run migrate); no patch runs on it until then`,
    );
    return lines;
  }
  if (!result.hasRecord) lines.push(`${result.database} has no ${result.recordSchema}.schema_patch record yet: every patch is pending`);
  if (result.patches.length === 0) lines.push('no patches');
  let width = 0;
  for (const p of result.patches) if (p.name.length > width) width = p.name.length;
  width = Math.min(60, width);
  // One string per line, no array of parts: 10,000 lines are printed on every showmigrations.
  for (const p of result.patches) {
    let line = `${p.edited ? '[E]' : MARK[p.state]} ${p.name.padEnd(width)}  ${LABEL[p.state]}`;
    if (p.stage && (p.state === 'failed' || p.state === 'applying')) line += `, in stage ${p.stage}`;
    if (p.date) line += `, ${p.date.slice(0, 16).replace('T', ' ')}`;
    if (p.edited) line += ', file edited since it was applied';
    // What failed is what the person looking at a [!] line needs first (the whole text is in --json).
    if (p.error && (p.state === 'failed' || p.state === 'pending_post' || p.state === 'pending'))
      line += `, error: ${p.error.split('\n')[0]}`;
    if (p.sortsBefore) line += `, out of order: sorts before ${p.sortsBefore}, already applied`;
    if (p.details?.appliedBy) line += `, by ${p.details.appliedBy}${p.details.applicationName ? ` (${p.details.applicationName})` : ''}`;
    if (p.details?.durationMs != null) line += `, ${p.details.durationMs} ms`;
    if (!p.file) line += ', file no longer on disk';
    lines.push(line);
  }
  const strayWidth = Math.max(width, ...result.notPatches.map((n) => Math.min(60, n.file.length)));
  for (const n of result.notPatches) lines.push(`[?] ${n.file.padEnd(strayWidth)}  not a patch, never runs: ${notPatchReason(n)}`);
  return lines;
}

export function formatMigrateSummary(result: MigrateResult): string[] {
  const lines: string[] = [];
  if (result.firstRun) {
    const f = result.firstRun;
    lines.push(
      f.built
        ? `${result.dryRun ? 'would build' : 'built'} the empty database from ${f.entry} and ${result.dryRun ? 'record' : 'recorded'} ${f.assumed} patches as assumed`
        : `${result.dryRun ? 'would record' : 'recorded'} ${f.assumed} patches as assumed (baseline)`,
    );
  }
  for (const n of result.notPatches)
    lines.push(`warning: ${n.file} is not a patch and never runs: ${notPatchReason(n)} (--strict and --check refuse it)`);
  for (const name of result.edited) lines.push(`warning: patch ${name} was edited after it was applied (--strict makes this an error)`);
  const applied = new Set(result.outcomes.filter((o) => o.status === 'applied').map((o) => o.name));
  for (const o of result.outOfOrder) {
    if (!result.dryRun && !applied.has(o.name)) continue;
    lines.push(
      `warning: patch ${o.name} sorts before ${o.sortsBefore}, which was already applied: ${result.dryRun ? 'it would run' : 'it ran'} out of order (--strict makes this an error)`,
    );
  }
  for (const o of result.outcomes) {
    if (o.status === 'accepted' || o.status === 'would_accept') {
      lines.push(
        `${o.status === 'accepted' ? 'accepted' : 'would accept'} the edited file of ${o.name}: checksum ${o.oldChecksum ?? '(none)'} -> ${o.newChecksum}`,
      );
    }
  }
  const copies = new Map(result.copies.map((c) => [c.name, c]));
  if (result.dryRun) {
    for (const o of result.outcomes) {
      const copy = copies.get(o.name);
      if (o.status === 'would_apply')
        lines.push(
          `would ${o.retry ? 'run again (--retry)' : 'apply'} ${o.name}${o.postOnly ? ' (post scripts only)' : ''}  [${o.reason}]${copy ? `: ${copyOf(copy)}` : ''}`,
        );
      else if (o.status === 'would_fake')
        lines.push(`would record ${o.name} as applied without running it (--fake); nothing else would run`);
      else if (o.status === 'would_skip') lines.push(`would record ${o.name} as skipped forever (--skip); nothing else would run`);
    }
    if (!result.firstRun && result.outcomes.length === 0) lines.push('nothing to apply');
    return lines;
  }
  for (const o of result.outcomes) {
    const copy = copies.get(o.name);
    if (copy && o.status === 'applied') lines.push(`ran ${o.name}, ${copyOf(copy)}`);
  }
  const count = (s: string) => result.outcomes.filter((o) => o.status === s).length;
  const parts = [
    `${count('applied')} applied`,
    count('faked') && `${count('faked')} recorded as applied without running (--fake)`,
    count('skipped') && `${count('skipped')} skipped forever`,
    count('accepted') && `${count('accepted')} edited file${count('accepted') > 1 ? 's' : ''} accepted (--accept-checksum)`,
    count('declined') && `${count('declined')} declined`,
    result.pending.length && `${result.pending.length} still pending`,
  ].filter(Boolean);
  lines.push(`${result.quit ? 'stopped: ' : ''}${parts.join(', ')}`);
  return lines;
}

export function announceMigrate(t: Target): void {
  announceTarget('migrating', t.display);
}

/** What a running migrate says on stderr: progress, waits, the first run, the baseline comparison, the patches' own output. */
export function migrateEventPrinter(o: { runLockWaitMs: number; statementLockTimeoutMs?: number }): (e: RunEvent) => void {
  let printScript: ((e: ScriptEvent) => void) | undefined;
  let printCheck: ((e: CheckEvent) => void) | undefined;
  return (e) => {
    if (e.type === 'lock-wait') {
      const h = e.holders[0];
      say(
        `pgpatch: blocked by another run${h ? ` (pid ${h.pid}${h.applicationName ? `, ${h.applicationName}` : ''}, since ${h.backendStart})` : ''}; waiting up to ${o.runLockWaitMs / 1000} s`,
      );
    } else if (e.type === 'statement-lock-wait') {
      statementLockWaitLines(e, o.statementLockTimeoutMs).forEach(say);
    } else if (e.type === 'first-run') {
      say(e.empty ? 'pgpatch: empty database without a record: building it from the schema files' : 'pgpatch: database without a record');
    } else if (e.type === 'patch-start') {
      startLine(`[${e.index}/${e.total}] ${e.name} ... `);
    } else if (e.type === 'patch-done') {
      endLine(`${e.durationMs} ms`);
    } else if (e.type === 'hook-output') {
      passOn(e.stream, e.chunk);
    } else if (e.type === 'baseline-compare') {
      say('pgpatch: database without a record: comparing it with the schema files before recording the patches as applied');
    } else if (e.type === 'baseline-no-entry') {
      say(`pgpatch: warning: no schema entry file (${e.entry}): the database is not compared with schema files before the baseline`);
    } else if (e.type === 'baseline-not-compared') {
      say(
        `pgpatch: warning: could not compare the database with the schema files (${e.error}); --force-baseline records the patches anyway`,
      );
    } else if (e.type === 'baseline-compared') {
      formatCheck(e.result, { strictFlag: false }).forEach((l) => say(`pgpatch: ${l}`));
      if (e.forced) say('pgpatch: warning: --force-baseline: recording the patches as applied anyway');
    } else if (e.type === 'plan-not-linted') {
      say(`pgpatch: warning: the plan is not linted: ${e.error}`);
    } else if (
      e.type === 'building' ||
      e.type === 'retry' ||
      e.type === 'leftover' ||
      e.type === 'scratch-started' ||
      e.type === 'scratch-server'
    ) {
      (printCheck ??= checkEventPrinter())(e);
    } else {
      closeLine();
      (printScript ??= scriptEventPrinter())(e);
    }
  };
}

/** The run's summary (stderr) or its plan (stdout, it is the answer), and with --plan the lint of what would run. */
export function renderMigrate(result: RunResult, o: { json?: boolean; readOnly: boolean }): void {
  if (o.json) {
    printJson(result);
    return;
  }
  const lines = formatMigrateSummary(result);
  if (result.lint) lines.push(...formatLint(result.lint));
  if (o.readOnly) printLines(lines);
  else lines.forEach(say);
}
