/** Text for migrate and showmigrations results. */
import type { MigrateResult } from '../engine/migrate/types';
import type { ShowResult } from '../engine/migrate/showmigrations';
import type { PatchState } from '../engine/patches/status';

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

export function formatShow(result: ShowResult): string[] {
  const lines: string[] = [];
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
  if (result.dryRun) {
    for (const o of result.outcomes) {
      if (o.status === 'would_apply')
        lines.push(
          `would ${o.retry ? 'run again (--retry)' : 'apply'} ${o.name}${o.postOnly ? ' (post scripts only)' : ''}  [${o.reason}]`,
        );
      else if (o.status === 'would_fake')
        lines.push(`would record ${o.name} as applied without running it (--fake); nothing else would run`);
      else if (o.status === 'would_skip') lines.push(`would record ${o.name} as skipped forever (--skip); nothing else would run`);
    }
    if (!result.firstRun && result.outcomes.length === 0) lines.push('nothing to apply');
    return lines;
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
