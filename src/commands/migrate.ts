/** `pgpatch migrate [target]`: apply the pending patches. */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors';
import { parseVariableFlags, resolveRunLockWait, resolveStatementLockTimeout } from '../settings';
import { abortOnSignals, action, collect, globals, paths, scratch, target } from './common';

interface MigrateFlags {
  input: boolean;
  plan?: boolean;
  dryRun?: boolean;
  check?: boolean;
  fake: string[];
  skip: string[];
  retry: string[];
  acceptChecksum: string[];
  allowCopy: string[];
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
    .argument('[target]', 'apply up to and including this patch (name, unique prefix or file)')
    .option('--no-input', 'do not ask: apply everything unattended (the default when not on a terminal)')
    .option('--plan', 'show what would run and change nothing (read-only session)')
    .option('--dry-run', 'same as --plan')
    .option('--check', 'exit 1 when anything is pending, 0 otherwise; changes nothing')
    .option(
      '--fake <name>',
      'record a pending patch as applied without running it, and run nothing else (repeatable; name, unique prefix or file)',
      collect,
      [],
    )
    .option(
      '--skip <name>',
      'record a pending patch as skipped forever, and run nothing else (repeatable; name, unique prefix or file)',
      collect,
      [],
    )
    .option(
      '--retry <name>',
      'run again a patch that failed half-way outside a transaction (repeatable; name, unique prefix or file)',
      collect,
      [],
    )
    .option(
      '--accept-checksum <name>',
      'an applied patch was edited on purpose: record its new checksum, run nothing (repeatable)',
      collect,
      [],
    )
    .option(
      '--allow-copy <name>',
      'a pending patch with the same content as another patch (applied, or run before it) is meant to run all the same (repeatable)',
      collect,
      [],
    )
    .option(
      '--strict',
      'a patch edited after it was applied, a new one that sorts before applied ones, a copy of another, or a file that is not a patch, is an error',
    )
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
        const runLockWaitMs = resolveRunLockWait(flags.waitForRunLock, flags.lockTimeout);
        const statementLockTimeoutMs = resolveStatementLockTimeout(flags.statementLockTimeout);
        const variables = parseVariableFlags(flags.set);
        const readOnly = Boolean(flags.plan || flags.dryRun || flags.check);
        const prompt = await import('../output/prompt.js');
        const interactive = flags.input && !readOnly && !flags.json && prompt.isInteractive();
        const p = paths(flags);
        // A mistyped folder, or the wrong working directory, would otherwise read as "nothing to apply".
        if (!existsSync(p.patchesDir))
          throw new UsageError(`no patches folder: ${p.patchesDir}`, {
            hint: 'give it with --patches-dir (or PGPATCH_PATCHES_DIR), or run from the project folder',
          });
        const t = await target(flags);
        const { migrateEventPrinter, renderMigrate, announceMigrate } = await import('../output/migrations.js');
        const { say } = await import('../output/terminal.js');
        if (!readOnly) announceMigrate(t);
        const assumeApplied = Boolean(flags.assumeApplied || flags.forceBaseline);
        const squawkConfig = join(p.projectDir, '.squawk.toml');
        const { runMigrate } = await import('../engine/migrate/run.js');
        const result = await runMigrate({
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
          allowCopy: flags.allowCopy,
          strict: flags.strict,
          check: flags.check,
          assumeApplied,
          lockTimeoutMs: runLockWaitMs,
          statementLockTimeoutMs,
          variables,
          baseline: {
            scratch: scratch(flags.scratchUrl, flags),
            force: Boolean(flags.forceBaseline),
            schemaDir: p.schemaDir,
            projectRoot: p.projectDir,
            interruptible: () => abortOnSignals(() => say('pgpatch: interrupted: dropping the scratch database')),
          },
          decide: interactive ? prompt.decide : undefined,
          confirmBaseline: interactive ? prompt.confirmBaseline : undefined,
          confirmCopy: interactive ? prompt.confirmCopy : undefined,
          lintPlan: flags.plan || flags.dryRun ? { configFile: existsSync(squawkConfig) ? squawkConfig : undefined } : undefined,
          onEvent: migrateEventPrinter({ runLockWaitMs, statementLockTimeoutMs }),
        }).finally(prompt.closePrompt);
        renderMigrate(result, { json: flags.json, readOnly });
        if (flags.check) return result.pending.length > 0 || result.outcomes.length > 0 || result.firstRun ? 1 : 0;
        return 0;
      }),
    );
}
