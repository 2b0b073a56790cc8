/**
 * The migrate command's one engine call: the run (or its plan) with what surrounds it. Before a
 * database without a record is baselined, it is compared with the schema files (check --dsn's
 * comparison, owners left out): recording patches as applied on a database that is not what
 * they assume hides the difference until a later patch fails on it, or worse, does not. A plan
 * is linted too, so its hazards are seen before the patches run.
 *
 * Its own module, above migrate.ts: the comparison builds with migrate (check), and a run with
 * nothing to apply must not load check, the linter or the scratch server.
 */
import { existsSync } from 'node:fs';
import { BaselineMismatchError, CheckBuildError } from '../../errors';
import type { ScratchChoice } from '../../target';
import type { LintResult } from '../authoring/lint/lint';
import type { CheckEvent, CheckResult } from '../schema/check/check';
import { migrate } from './migrate';
import type { MigrateEvent, MigrateOptions, MigrateResult } from './types';

export interface RunOptions extends Omit<MigrateOptions, 'confirmBaseline' | 'onEvent'> {
  /** Compare a database about to be baselined with the schema files, built here. */
  baseline?: {
    scratch: ScratchChoice;
    /** --force-baseline: record the patches even when the database differs (or cannot be compared). */
    force: boolean;
    schemaDir: string;
    projectRoot: string;
    /** Ctrl-C while the schema files are built drops the scratch database (check's signal); only for that while. */
    interruptible?: () => { signal: AbortSignal; dispose(): void };
  };
  /** Asked on a database without a record when not assumeApplied; `comparison` is what the files build against it. */
  confirmBaseline?: (patches: number, comparison?: CheckResult) => Promise<boolean>;
  /** With dryRun: lint what would run (squawk), with this .squawk.toml when there is one. */
  lintPlan?: { configFile?: string };
  onEvent?: (e: RunEvent) => void;
}

export type RunEvent =
  | MigrateEvent
  | CheckEvent
  /** The database has no record and objects of its own: it is compared with the schema files. */
  | { type: 'baseline-compare' }
  /** A project of patches alone: nothing to compare the database with before the baseline. */
  | { type: 'baseline-no-entry'; entry: string }
  /** The comparison, shown when it passed or is overridden (differences otherwise go with the refusal or the question). */
  | { type: 'baseline-compared'; result: CheckResult; forced: boolean }
  /** --force-baseline over schema files that could not be built here. */
  | { type: 'baseline-not-compared'; error: string }
  /** The plan could not be linted (no squawk binary for this platform): it is shown without. */
  | { type: 'plan-not-linted'; error: string };

export interface RunResult extends MigrateResult {
  baselineComparison?: CheckResult;
  lint?: LintResult;
}

export async function runMigrate(options: RunOptions): Promise<RunResult> {
  const emit = options.onEvent ?? (() => undefined);
  const comparison =
    options.baseline && (options.assumeApplied || options.confirmBaseline) ? await compareBeforeBaseline(options, emit) : undefined;
  const confirm = options.confirmBaseline;
  const result: RunResult = await migrate({
    ...options,
    confirmBaseline: confirm && ((count) => confirm(count, comparison)),
    onEvent: emit,
  });
  if (comparison) result.baselineComparison = comparison;
  if (options.dryRun && options.lintPlan) {
    const lint = await lintPlanned(result, options, emit);
    if (lint) result.lint = lint;
  }
  return result;
}

/**
 * The comparison of a database about to be baselined with the schema files, or undefined when
 * the database has a record or nothing in it. Differences refuse the baseline (exit 2) unless
 * forced; at the prompt they are shown before the question. A plan compares too: it says what
 * the run would do.
 */
async function compareBeforeBaseline(options: RunOptions, emit: (e: RunEvent) => void): Promise<CheckResult | undefined> {
  const b = options.baseline!;
  const baseline = await import('../schema/check/baseline.js');
  if (!(await baseline.needsBaseline(options.target, options.recordSchema))) return undefined;
  if (!existsSync(options.entry)) {
    emit({ type: 'baseline-no-entry', entry: options.entry });
    return undefined;
  }
  emit({ type: 'baseline-compare' });
  let result: CheckResult;
  const interrupt = b.interruptible?.();
  try {
    result = await baseline.compareBeforeBaseline({
      target: options.target,
      projectRoot: b.projectRoot,
      schemaDir: b.schemaDir,
      entry: options.entry,
      patchesDir: options.patchesDir,
      scratch: b.scratch,
      recordSchema: options.recordSchema,
      variables: options.variables,
      onEvent: emit,
      signal: interrupt?.signal,
    });
  } catch (e) {
    // Insisting covers schema files that cannot be built here too (an extension the scratch server lacks).
    if (!b.force || !(e instanceof CheckBuildError)) throw e;
    emit({ type: 'baseline-not-compared', error: e.message });
    return undefined;
  } finally {
    interrupt?.dispose();
  }
  // At the prompt (no --assume-applied), the question shows the differences before it asks.
  if (!result.ok && !b.force && !options.assumeApplied) return result;
  emit({ type: 'baseline-compared', result, forced: !result.ok && b.force });
  if (result.ok || b.force) return result;
  throw new BaselineMismatchError(
    options.target.display,
    result.differences.filter((d) => d.kind !== 'column_order'),
    result.failing,
  );
}

/** The plan's patches linted as `pgpatch lint` lints them; it never changes the exit status: that is lint's. */
async function lintPlanned(result: MigrateResult, options: RunOptions, emit: (e: RunEvent) => void): Promise<LintResult | undefined> {
  const names = new Set(result.outcomes.filter((o) => o.status === 'would_apply' && !o.postOnly).map((o) => o.name));
  if (names.size === 0) return undefined;
  const { findPatches } = await import('../patches/files.js');
  const { lintPatches } = await import('../authoring/lint/lint.js');
  const { SquawkError } = await import('../squawk.js');
  try {
    return await lintPatches({
      patches: findPatches(options.patchesDir).filter((x) => names.has(x.name)),
      compile: { variables: options.variables ?? {} },
      configFile: options.lintPlan?.configFile,
      // What this run would set: squawk's timeout rules count it, as \`pgpatch lint\` does.
      statementLockTimeoutMs: options.statementLockTimeoutMs,
    });
  } catch (e) {
    // The plan is still worth showing without squawk (a platform it has no binary for).
    if (!(e instanceof SquawkError)) throw e;
    emit({ type: 'plan-not-linted', error: e.message });
    return undefined;
  }
}
