/**
 * Text and JSON for fleets: migrate's progress and summary, its plan, the fleet view of
 * showmigrations, and check --dsn over many databases. Compact whatever the fleet's size: counts
 * first, then only the targets that need a look, grouped (the first few names of each group,
 * and how many more); `--json` has every target.
 */
import type { FleetCheckResult } from '../engine/fleet/check';
import type { FleetMigrateEvent, FleetMigrateResult, FleetRunStatus, FleetTargetRun } from '../engine/fleet/migrate';
import type { FleetShowResult, FleetState, FleetTargetState } from '../engine/fleet/showmigrations';
import type { FleetListedEvent, FleetSpec, TargetDoneEvent } from '../engine/fleet/types';
import type { MigrateEvent } from '../engine/migrate/types';
import type { CheckEvent } from '../engine/schema/check/check';
import { ConnectionError, PatchFailedError } from '../errors';
import { checkEventPrinter } from './check';
import { notPatchReason } from './migrations';
import { formatNotice } from './text';
import { formatError, formatLocation } from './text';
import { errorToJson, printJson } from './json';
import { announceTarget, passOn, printLines, say, statusLine } from './terminal';
import { statementLockWaitLines } from './events';

/** Names shown per group before "and N more". */
const NAMES = 10;
/** Targets shown with their whole error before the rest are only named. */
const DETAILED = 20;

/** Says which targets a fleet command is about to change (stderr), before it lists them. */
export function announceFleet(spec: FleetSpec, doing = 'migrating'): void {
  if (spec.kind === 'databases') announceTarget(doing, `the databases LIKE '${spec.pattern}' of ${spec.server.display}`);
  else if (spec.kind === 'schemas') announceTarget(doing, `the schemas LIKE '${spec.pattern}' of ${spec.database.display}`);
  else announceTarget(doing, `${spec.targets.length} target${spec.targets.length === 1 ? '' : 's'}`);
}

/**
 * What a running fleet says on stderr: targets done of total on a terminal (in place), each
 * failure as it happens, and what a target's patches say (notices, scripts' output, lock
 * waits) with the target's name in front.
 */
export function fleetEventPrinter(
  o: { runLockWaitMs?: number; statementLockTimeoutMs?: number } = {},
): (e: FleetMigrateEvent | FleetListedEvent | TargetDoneEvent | CheckEvent) => void {
  let printCheck: ((e: CheckEvent) => void) | undefined;
  return (e) => {
    if (e.type === 'fleet-listed') {
      statusLine(`pgpatch: 0/${e.total} targets done`);
    } else if (e.type === 'target-done') {
      if (e.error !== undefined && e.status !== 'different') say(`pgpatch: ${e.name}: ${errorLine(e.error)}`);
      statusLine(`pgpatch: ${e.done}/${e.total} targets done${e.failed ? `, ${e.failed} failed` : ''}`);
    } else if (e.type === 'target-event') {
      targetEventLines(e.name, e.event, o);
    } else {
      (printCheck ??= checkEventPrinter())(e);
    }
  };
}

function targetEventLines(name: string, e: MigrateEvent, o: { runLockWaitMs?: number; statementLockTimeoutMs?: number }): void {
  if (e.type === 'hook-output') {
    passOn(e.stream, prefixed(name, e.chunk));
  } else if (e.type === 'notice') {
    say(prefixed(name, formatNotice(e.notice, e.location)));
  } else if (e.type === 'warning') {
    say(`pgpatch: ${name}: ${formatLocation(e.location, false)}: warning: ${e.message}`);
  } else if (e.type === 'echo') {
    passOn(e.stream, prefixed(name, `${e.text}\n`));
  } else if (e.type === 'lock-wait') {
    const h = e.holders[0];
    say(
      `pgpatch: ${name}: blocked by another run${h ? ` (pid ${h.pid}, ${h.applicationName}, since ${h.backendStart})` : ''}; waiting up to ${(o.runLockWaitMs ?? 0) / 1000} s`,
    );
  } else if (e.type === 'statement-lock-wait') {
    statementLockWaitLines(e, o.statementLockTimeoutMs).forEach((l) => say(prefixed(name, l)));
  }
}

/** Every line of `text` after `[name] `. */
function prefixed(name: string, text: string): string {
  const end = text.endsWith('\n') ? '\n' : '';
  return (end ? text.slice(0, -1) : text)
    .split('\n')
    .map((l) => `[${name}] ${l}`)
    .join('\n')
    .concat(end);
}

/** An error in one line, for a target's line in a list. */
export function errorLine(error: unknown): string {
  if (typeof error === 'string') return error.split('\n')[0];
  if (error instanceof ConnectionError) return `cannot connect: ${error.reason}`;
  if (error instanceof PatchFailedError) return `${error.message}: ${errorLine(error.cause)}`;
  return formatError(error)[0].replace(/^pgpatch: (error: )?/, '');
}

/** `a, b, c and 7 more` */
function names(list: string[]): string {
  const shown = list.slice(0, NAMES).join(', ');
  return list.length > NAMES ? `${shown} and ${list.length - NAMES} more` : shown;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : word.endsWith('ch') ? 'es' : 's'}`;
}

/** Groups of items by a key, in the order each key is first seen. */
function grouped<T>(items: T[], key: (t: T) => string): Array<[string, T[]]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const g = groups.get(k);
    if (g) g.push(item);
    else groups.set(k, [item]);
  }
  return [...groups];
}

/** The targets that failed: the first DETAILED with their whole error, the others named. */
function failureLines(title: string, failures: Array<{ name: string; target: string; error?: unknown }>, verbose: boolean): string[] {
  if (failures.length === 0) return [];
  const lines = [`${title} (${failures.length}):`];
  for (const f of failures.slice(0, DETAILED)) {
    lines.push(`  ${f.name}${f.name === f.target ? '' : ` (${f.target})`}`);
    if (f.error !== undefined)
      lines.push(
        ...(typeof f.error === 'string' ? [f.error] : formatError(f.error, verbose)).map((l) => `    ${l.replace(/^pgpatch: /, '')}`),
      );
  }
  if (failures.length > DETAILED)
    lines.push(`  and ${failures.length - DETAILED} more: ${names(failures.slice(DETAILED).map((f) => f.name))}`);
  return lines;
}

const RUN_WORDS: Record<FleetRunStatus, string> = {
  applied: 'applied',
  up_to_date: 'up to date',
  pending: 'with patches to apply',
  failed: 'failed',
  needs_baseline: 'need a baseline',
  unreachable: 'unreachable',
  not_started: 'not started',
};

function countsLine(total: number, counts: Record<string, number>, words: Record<string, string>): string {
  const parts = Object.entries(words)
    .filter(([k]) => counts[k])
    .map(([k, w]) => `${counts[k]} ${w}`);
  return `${plural(total, 'target')}: ${parts.join(', ') || 'none'}`;
}

/** migrate over a fleet: the summary (stderr) or the plan (stdout), or JSON with every target. */
export function renderFleetMigrate(result: FleetMigrateResult, o: { json?: boolean; verbose?: boolean }): void {
  if (o.json) {
    printJson({ ...result, targets: result.targets.map(targetJson) });
    return;
  }
  if (result.dryRun) printLines(formatFleetPlan(result, o.verbose));
  else formatFleetRun(result, o.verbose).forEach(say);
}

export function formatFleetRun(result: FleetMigrateResult, verbose = false): string[] {
  let applied = 0;
  let built = 0;
  let baselined = 0;
  for (const t of result.targets) {
    applied += t.result?.outcomes.filter((x) => x.status === 'applied').length ?? 0;
    if (t.result?.firstRun?.built) built++;
    else if (t.result?.firstRun) baselined++;
  }
  const did = [
    `${plural(applied, 'patch')} applied`,
    built && `${built} built from the schema files`,
    baselined && `${baselined} baselined`,
  ].filter(Boolean);
  const lines = [`pgpatch: ${countsLine(result.targets.length, result.counts, RUN_WORDS)} (${did.join(', ')})`];
  lines.push(...stopLines(result));
  lines.push(...warnings(result.targets));
  lines.push(...troubleLines(result.targets, 'failed', verbose));
  const notStarted = result.targets.filter((t) => t.status === 'not_started');
  if (notStarted.length) lines.push(`not started (${notStarted.length}): ${names(notStarted.map((t) => t.name))}`);
  return lines;
}

/** The targets that failed (under `failed`: "failed", or in a plan "refused"), need a baseline, or could not be reached. */
function troubleLines(targets: FleetTargetRun[], failed: string, verbose: boolean): string[] {
  const of = (status: FleetRunStatus) => targets.filter((t) => t.status === status);
  return [
    ...failureLines(failed, of('failed'), verbose),
    ...failureLines('need a baseline', of('needs_baseline'), verbose),
    ...unreachableLines(of('unreachable')),
  ];
}

function stopLines(result: FleetMigrateResult): string[] {
  if (result.stopped === 'canary') return ['stopped: a canary failed, so no other target was started'];
  if (result.stopped === 'fail-fast') return ['stopped: a target failed and --fail-fast was given, so no other target was started'];
  return [];
}

/**
 * What the targets' runs warned of, each once for the fleet: files in the patches folder that
 * are not patches (the same on every target, unless a record makes one a patch), and patches
 * edited after they were applied (with the targets where they were).
 */
function warnings(targets: FleetTargetRun[]): string[] {
  const strays = new Map<string, string>();
  const edited = new Map<string, string[]>();
  for (const t of targets) {
    for (const n of t.result?.notPatches ?? []) if (!strays.has(n.file)) strays.set(n.file, notPatchReason(n));
    for (const name of t.result?.edited ?? []) {
      const on = edited.get(name);
      if (on) on.push(t.name);
      else edited.set(name, [t.name]);
    }
  }
  return [
    ...[...strays].map(([file, why]) => `warning: ${file} is not a patch and never runs: ${why} (--strict and --check refuse it)`),
    ...[...edited].map(
      ([patch, on]) => `warning: patch ${patch} was edited after it was applied, on ${plural(on.length, 'target')}: ${names(on)}`,
    ),
  ];
}

function unreachableLines(targets: Array<{ name: string; error?: unknown }>): string[] {
  if (targets.length === 0) return [];
  const lines = [`unreachable (${targets.length}):`];
  for (const [reason, group] of grouped(targets, (t) => errorLine(t.error)))
    lines.push(`  ${reason}: ${plural(group.length, 'target')}: ${names(group.map((t) => t.name))}`);
  return lines;
}

/** The plan over a fleet: the targets grouped by what would run on them. */
export function formatFleetPlan(result: FleetMigrateResult, verbose = false): string[] {
  const lines = [countsLine(result.targets.length, result.counts, RUN_WORDS)];
  const pending = result.targets.filter((t) => t.status === 'pending');
  for (const [what, group] of grouped(pending, planOf))
    lines.push(`${what}, on ${plural(group.length, 'target')}: ${names(group.map((t) => t.name))}`);
  lines.push(...warnings(result.targets));
  lines.push(...troubleLines(result.targets, 'refused', verbose));
  return lines;
}

function planOf(t: FleetTargetRun): string {
  const r = t.result!;
  if (r.firstRun)
    return r.firstRun.built ? 'would build from the schema files and record every patch as assumed' : 'would record every patch as assumed';
  const apply = r.outcomes.filter((o) => o.status === 'would_apply').map((o) => o.name);
  return `would apply ${apply.length > 3 ? `${apply.slice(0, 3).join(', ')} and ${apply.length - 3} more` : apply.join(', ')}`;
}

const STATE_WORDS: Record<FleetState, string> = {
  up_to_date: 'up to date',
  pending: 'pending',
  failed: 'failed',
  needs_baseline: 'need a baseline',
  unreachable: 'unreachable',
  error: 'could not be read',
};

/** showmigrations over a fleet: counts by state, then only the targets that are not up to date. */
export function renderFleetShow(result: FleetShowResult, o: { json?: boolean; verbose?: boolean }): void {
  if (o.json) printJson({ ...result, targets: result.targets.map(targetJson) });
  else printLines(formatFleetShow(result, o.verbose));
}

export function formatFleetShow(result: FleetShowResult, verbose = false): string[] {
  const lines = [countsLine(result.targets.length, result.counts, STATE_WORDS)];
  const of = (state: FleetState) => result.targets.filter((t) => t.state === state);
  const pending = of('pending');
  if (pending.length) lines.push(`pending (${pending.length}):`);
  for (const [first, group] of grouped(pending, (t) => (t.noRecord ? '' : t.patch!))) {
    const what = first === '' ? 'no record yet (the next migrate builds it from the schema files)' : `from ${first}`;
    const counts = new Set(group.map((t) => t.pending));
    const how = first === '' ? '' : ` (${counts.size === 1 ? plural(group[0].pending, 'patch') : 'patches'} to apply)`;
    lines.push(`  ${what}${how}: ${plural(group.length, 'target')}: ${names(group.map((t) => t.name))}`);
  }
  const failed = of('failed');
  if (failed.length) lines.push(`failed (${failed.length}):`);
  for (const t of failed.slice(0, DETAILED)) lines.push(`  ${t.name}: ${t.patch}${t.error ? `: ${errorLine(t.error)}` : ''}`);
  if (failed.length > DETAILED) lines.push(`  and ${failed.length - DETAILED} more: ${names(failed.slice(DETAILED).map((t) => t.name))}`);
  const baseline = of('needs_baseline');
  if (baseline.length)
    lines.push(
      `need a baseline (${baseline.length}): objects of their own and no record: ${names(baseline.map((t: FleetTargetState) => t.name))}`,
    );
  lines.push(...unreachableLines(of('unreachable')));
  lines.push(...failureLines('could not be read', of('error'), verbose));
  return lines;
}

const CHECK_WORDS = { same: 'as the schema files', different: 'different', unreachable: 'unreachable', failed: 'could not be compared' };

/** check --dsn over a fleet: counts, then each database that differs with its differences. */
export function renderFleetCheck(result: FleetCheckResult, o: { json?: boolean; verbose?: boolean }): void {
  if (o.json) printJson({ ...result, targets: result.targets.map(targetJson) });
  else printLines(formatFleetCheck(result, o.verbose));
}

export function formatFleetCheck(result: FleetCheckResult, verbose = false): string[] {
  const lines = [`compared the schema files with ${countsLine(result.targets.length, result.counts, CHECK_WORDS)}`];
  const different = result.targets.filter((t) => t.status === 'different');
  if (different.length) lines.push(`different (${different.length}):`);
  for (const t of different.slice(0, DETAILED)) {
    const failing = t.result!.differences.filter((d) => d.kind !== 'column_order' || !t.result!.ok);
    lines.push(`  ${t.name}: ${plural(t.result!.failing, 'difference')}`);
    lines.push(...failing.slice(0, 10).map((d) => `    - ${d.message}`));
    if (failing.length > 10) lines.push(`    and ${failing.length - 10} more`);
  }
  if (different.length > DETAILED)
    lines.push(`  and ${different.length - DETAILED} more: ${names(different.slice(DETAILED).map((t) => t.name))}`);
  lines.push(...unreachableLines(result.targets.filter((t) => t.status === 'unreachable')));
  lines.push(
    ...failureLines(
      'could not be compared',
      result.targets.filter((t) => t.status === 'failed'),
      verbose,
    ),
  );
  return lines;
}

/** A target with its error as data (errorToJson), as every JSON error is. */
function targetJson<T extends { error?: unknown }>(t: T): T | (Omit<T, 'error'> & { error: unknown }) {
  if (t.error === undefined || typeof t.error === 'string') return t;
  return { ...t, error: errorToJson(t.error) };
}
