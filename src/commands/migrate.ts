/** `pgpatch migrate [target]`: apply the pending patches. */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LintResult } from '../engine/authoring/lint/lint';
import type { MigrateResult } from '../engine/migrate/types';
import type { PathSettings } from '../settings';
import type { CheckResult } from '../engine/schema/check/check';
import type { Target } from '../engine/db';
import { BaselineMismatchError, CheckBuildError, UsageError } from '../errors';
import { parseVariableFlags, resolveStatementLockTimeout } from '../settings';
import {
  abortOnSignals,
  action,
  announceTarget,
  closeLine,
  collect,
  endLine,
  globals,
  paths,
  say,
  scratchServer,
  startLine,
  target,
} from './common';
// check and events (with output/text) are loaded when needed: a run with nothing to apply
// prints none of their events, and loading them was ~5 ms of each no-op migrate (issue 15).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const events = (): typeof import('./events') => require('./events');

interface MigrateFlags {
  input: boolean;
  plan?: boolean;
  dryRun?: boolean;
  check?: boolean;
  fake: string[];
  skip: string[];
  retry: string[];
  acceptChecksum: string[];
  strict?: boolean;
  assumeApplied?: boolean;
  forceBaseline?: boolean;
  scratchUrl?: string;
  lockTimeout?: string;
  waitForRunLock?: string;
  statementLockTimeout?: string;
  set: string[];
}

export function register(program: Command): void {
  program
    .command('migrate')
    .description('apply pending patches in name order, each recorded in schema_patch with it, under an advisory lock')
    .argument('[target]', 'apply up to and including this patch (name or unique prefix)')
    .option('--no-input', 'do not ask: apply everything unattended (the default when not on a terminal)')
    .option('--plan', 'show what would run and change nothing (read-only session)')
    .option('--dry-run', 'same as --plan')
    .option('--check', 'exit 1 when anything is pending, 0 otherwise; changes nothing')
    .option(
      '--fake <name>',
      'record a pending patch as applied without running it, and run nothing else (repeatable; name or unique prefix)',
      collect,
      [],
    )
    .option(
      '--skip <name>',
      'record a pending patch as skipped forever, and run nothing else (repeatable; name or unique prefix)',
      collect,
      [],
    )
    .option(
      '--retry <name>',
      'run again a patch that failed half-way outside a transaction (repeatable; name or unique prefix)',
      collect,
      [],
    )
    .option(
      '--accept-checksum <name>',
      'an applied patch was edited on purpose: record its new checksum, run nothing (repeatable)',
      collect,
      [],
    )
    .option('--strict', 'a patch edited after it was applied, or a new one that sorts before applied ones, is an error')
    .option('--assume-applied', 'on a database with objects but no record: record every patch as applied (baseline)')
    .option(
      '--force-baseline',
      'with --assume-applied (implied): record the patches as applied even when the database differs from the schema files',
    )
    .option(
      '--scratch-url <url>',
      'where --assume-applied builds the schema files to compare the database with (default: PGPATCH_SCRATCH_URL, else the embedded server)',
    )
    .option('--wait-for-run-lock <seconds>', 'wait this long for another migrate run to finish (default 0: give up at once)')
    .option('--lock-timeout <seconds>', "same as --wait-for-run-lock (the run lock; not PostgreSQL's lock_timeout)")
    .option(
      '--statement-lock-timeout <duration>',
      "PostgreSQL's lock_timeout for patch statements (500ms, 5s, 2min): a statement that waits longer for a table lock fails its patch (env PGPATCH_STATEMENT_LOCK_TIMEOUT)",
    )
    .option('-v, --set <name=value>', 'set a psql variable for the patches (repeatable)', collect, [])
    .action(
      action(async (upTo: string | undefined, _o: unknown, cmd: Command) => {
        const flags = globals(cmd) as ReturnType<typeof globals> & MigrateFlags;
        const runLockFlag = flags.waitForRunLock !== undefined ? '--wait-for-run-lock' : '--lock-timeout';
        const runLockWait = flags.waitForRunLock ?? flags.lockTimeout ?? '0';
        const lockTimeout = Number(runLockWait);
        if (runLockWait.trim() === '' || !Number.isFinite(lockTimeout) || lockTimeout < 0)
          throw new UsageError(`${runLockFlag} expects seconds, got "${runLockWait}"`);
        const statementLockTimeoutMs = resolveStatementLockTimeout(flags.statementLockTimeout);
        const readOnly = Boolean(flags.plan || flags.dryRun || flags.check);
        const { isInteractive, decide, confirmBaseline, closePrompt } = await import('./prompt.js');
        const interactive = flags.input && !readOnly && !flags.json && isInteractive();
        const p = paths(flags);
        // A mistyped folder, or the wrong working directory, would otherwise read as "nothing to apply".
        if (!existsSync(p.patchesDir))
          throw new UsageError(`no patches folder: ${p.patchesDir}`, {
            hint: 'give it with --patches-dir (or PGPATCH_PATCHES_DIR), or run from the project folder',
          });
        const { target: t } = await target(flags, say);
        if (!readOnly) announceTarget('migrating', t);
        const assumeApplied = Boolean(flags.assumeApplied || flags.forceBaseline);
        // Only when the database would be baselined, and the run would go on to do it.
        const comparison =
          assumeApplied || interactive ? await compareBeforeBaseline(t, p, flags, Boolean(flags.forceBaseline)) : undefined;
        const { migrate } = await import('../engine/migrate/migrate.js');
        const { formatMigrateSummary } = await import('../output/migrations.js');
        let printScript: ReturnType<(typeof import('./events'))['scriptEventPrinter']> | undefined;
        const result = await migrate({
          target: t,
          patchesDir: p.patchesDir,
          checksumCache: p.checksumCache,
          entry: p.entry,
          recordSchema: flags.recordSchema,
          upTo,
          dryRun: readOnly,
          fake: flags.fake,
          skip: flags.skip,
          retry: flags.retry,
          acceptChecksum: flags.acceptChecksum,
          strict: flags.strict,
          assumeApplied,
          lockTimeoutMs: lockTimeout * 1000,
          statementLockTimeoutMs,
          variables: parseVariableFlags(flags.set),
          decide: interactive ? decide : undefined,
          confirmBaseline: interactive ? (count) => confirmBaseline(count, comparison) : undefined,
          onEvent: (e) => {
            if (e.type === 'lock-wait') {
              const h = e.holders[0];
              say(
                `pgpatch: blocked by another run${h ? ` (pid ${h.pid}, ${h.applicationName}, since ${h.backendStart})` : ''}; waiting up to ${lockTimeout} s`,
              );
            } else if (e.type === 'statement-lock-wait') {
              events().statementLockWaitLines(e, statementLockTimeoutMs).forEach(say);
            } else if (e.type === 'first-run') {
              say(
                e.empty
                  ? 'pgpatch: empty database without a record: building it from the schema files'
                  : 'pgpatch: database without a record',
              );
            } else if (e.type === 'patch-start') {
              startLine(`[${e.index}/${e.total}] ${e.name} ... `);
            } else if (e.type === 'patch-done') {
              endLine(`${e.durationMs} ms`);
            } else if (e.type === 'hook-output') {
              closeLine();
              (e.stream === 'stdout' ? process.stdout : process.stderr).write(e.chunk);
            } else {
              closeLine();
              printScript ??= events().scriptEventPrinter();
              printScript(e);
            }
          },
        }).finally(closePrompt);
        const planned = flags.plan || flags.dryRun ? await lintPlanned(result, p, parseVariableFlags(flags.set)) : undefined;
        if (flags.json) {
          const { printJson } = await import('../output/json.js');
          printJson({ ...result, ...(planned && { lint: planned }), ...(comparison && { baselineComparison: comparison }) });
        } else {
          const lines = formatMigrateSummary(result);
          if (planned) lines.push(...(await import('../output/lint.js')).formatLint(planned));
          (readOnly ? process.stdout : process.stderr).write(lines.join('\n') + '\n');
        }
        if (flags.check) return result.pending.length > 0 || result.outcomes.length > 0 || result.firstRun ? 1 : 0;
        return 0;
      }),
    );
}

/**
 * The comparison of a database about to be baselined with the schema files (check --dsn's,
 * owners left out), or undefined when the database has a record or nothing in it. Differences
 * refuse the baseline (exit 2) unless --force-baseline; at the prompt they are shown before the
 * question. --plan and --check compare too: they say what the run would do.
 */
async function compareBeforeBaseline(
  t: Target,
  p: PathSettings,
  flags: ReturnType<typeof globals> & MigrateFlags,
  force: boolean,
): Promise<CheckResult | undefined> {
  const baseline = await import('../engine/schema/check/baseline.js');
  if (!(await baseline.needsBaseline(t, flags.recordSchema))) return undefined;
  if (!existsSync(p.entry)) {
    // A project of patches alone: nothing to compare with (and nothing a baseline needed before).
    say(`pgpatch: warning: no schema entry file (${p.entry}): the database is not compared with schema files before the baseline`);
    return undefined;
  }
  const { formatCheck } = await import('../output/check.js');
  const { checkEventPrinter } = await import('./check.js');
  say('pgpatch: database without a record: comparing it with the schema files before recording the patches as applied');
  const scratchUrl = await scratchServer(flags.scratchUrl, p.projectDir);
  const interrupt = abortOnSignals(() => say('pgpatch: interrupted: dropping the scratch database'));
  let result: CheckResult;
  try {
    result = await baseline.compareBeforeBaseline({
      target: t,
      projectRoot: p.projectDir,
      schemaDir: p.schemaDir,
      entry: p.entry,
      patchesDir: p.patchesDir,
      scratchUrl,
      recordSchema: flags.recordSchema,
      variables: parseVariableFlags(flags.set),
      onEvent: checkEventPrinter(),
      signal: interrupt.signal,
    });
  } catch (e) {
    // Insisting covers schema files that cannot be built here too (an extension the scratch server lacks).
    if (!force || !(e instanceof CheckBuildError)) throw e;
    say(
      `pgpatch: warning: could not compare the database with the schema files (${e.message}); --force-baseline records the patches anyway`,
    );
    return undefined;
  } finally {
    interrupt.dispose();
  }
  const lines = formatCheck(result, { strictFlag: false }).map((l) => `pgpatch: ${l}`);
  if (result.ok) {
    lines.forEach(say);
    return result;
  }
  // At the prompt (no --assume-applied), the question shows them before it asks.
  if (!force && !flags.assumeApplied) return result;
  lines.forEach(say);
  if (force) {
    say('pgpatch: warning: --force-baseline: recording the patches as applied anyway');
    return result;
  }
  const { describeTarget } = await import('../engine/db.js');
  throw new BaselineMismatchError(
    describeTarget(t),
    result.differences.filter((d) => d.kind !== 'column_order'),
    result.failing,
  );
}

/**
 * `--plan` also lints what would run (squawk's findings, as `pgpatch lint` reports them), so
 * the hazards are seen before the patches run. It never changes the exit status: that is lint's.
 */
async function lintPlanned(result: MigrateResult, p: PathSettings, variables: Record<string, string>): Promise<LintResult | undefined> {
  const names = new Set(result.outcomes.filter((o) => o.status === 'would_apply' && !o.postOnly).map((o) => o.name));
  if (names.size === 0) return undefined;
  const { findPatches } = await import('../engine/patches/files.js');
  const { lintPatches } = await import('../engine/authoring/lint/lint.js');
  const config = join(p.projectDir, '.squawk.toml');
  const { SquawkError } = await import('../engine/squawk.js');
  try {
    return await lintPatches({
      patches: findPatches(p.patchesDir).filter((x) => names.has(x.name)),
      compile: { variables },
      configFile: existsSync(config) ? config : undefined,
    });
  } catch (e) {
    // The plan is still worth showing without squawk (a platform it has no binary for).
    if (!(e instanceof SquawkError)) throw e;
    say(`pgpatch: warning: the plan is not linted: ${e.message}`);
    return undefined;
  }
}
