/** `pgpatch migrate [target]`: apply the pending patches. */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../errors';
import { parseVariableFlags } from '../settings';
import { action, closeLine, collect, endLine, globals, paths, say, startLine, target } from './common';
import { scriptEventPrinter } from './events';

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
  lockTimeout: string;
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
    .option('--fake <name>', 'record a pending patch as applied without running it, and run nothing else (repeatable; name or unique prefix)', collect, [])
    .option('--skip <name>', 'record a pending patch as skipped forever, and run nothing else (repeatable; name or unique prefix)', collect, [])
    .option('--retry <name>', 'run again a patch that failed half-way outside a transaction (repeatable; name or unique prefix)', collect, [])
    .option('--accept-checksum <name>', 'an applied patch was edited on purpose: record its new checksum, run nothing (repeatable)', collect, [])
    .option('--strict', 'a patch edited after it was applied, or a new one that sorts before applied ones, is an error')
    .option('--assume-applied', 'on a database with objects but no record: record every patch as applied (baseline)')
    .option('--lock-timeout <seconds>', 'wait this long for another run to finish', '0')
    .option('-v, --set <name=value>', 'set a psql variable for the patches (repeatable)', collect, [])
    .action(action(async (upTo: string | undefined, _o: unknown, cmd: Command) => {
      const flags = globals(cmd) as ReturnType<typeof globals> & MigrateFlags;
      const lockTimeout = Number(flags.lockTimeout);
      if (!Number.isFinite(lockTimeout) || lockTimeout < 0) throw new UsageError(`--lock-timeout expects seconds, got "${flags.lockTimeout}"`);
      const readOnly = Boolean(flags.plan || flags.dryRun || flags.check);
      const { isInteractive, decide, confirmBaseline, closePrompt } = await import('./prompt.js');
      const interactive = flags.input && !readOnly && !flags.json && isInteractive();
      const p = paths(flags);
      // A mistyped folder, or the wrong working directory, would otherwise read as "nothing to apply".
      if (!existsSync(p.patchesDir)) throw new UsageError(`no patches folder: ${p.patchesDir}`, { hint: 'give it with --patches-dir (or PGPATCH_PATCHES_DIR), or run from the project folder' });
      const { target: t } = await target(flags, say);
      const { migrate } = await import('../engine/migrate/migrate.js');
      const { formatMigrateSummary } = await import('../output/migrations.js');
      const printScript = scriptEventPrinter();
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
        assumeApplied: flags.assumeApplied,
        lockTimeoutMs: lockTimeout * 1000,
        variables: parseVariableFlags(flags.set),
        decide: interactive ? decide : undefined,
        confirmBaseline: interactive ? confirmBaseline : undefined,
        onEvent: (e) => {
          if (e.type === 'lock-wait') {
            const h = e.holders[0];
            say(`pgpatch: blocked by another run${h ? ` (pid ${h.pid}, ${h.applicationName}, since ${h.backendStart})` : ''}; waiting up to ${lockTimeout} s`);
          } else if (e.type === 'first-run') {
            say(e.empty ? 'pgpatch: empty database without a record: building it from the schema files' : 'pgpatch: database without a record');
          } else if (e.type === 'patch-start') {
            startLine(`[${e.index}/${e.total}] ${e.name} ... `);
          } else if (e.type === 'patch-done') {
            endLine(`${e.durationMs} ms`);
          } else if (e.type === 'hook-output') {
            closeLine();
            (e.stream === 'stdout' ? process.stdout : process.stderr).write(e.chunk);
          } else {
            closeLine();
            printScript(e);
          }
        },
      }).finally(closePrompt);
      if (flags.json) {
        const { printJson } = await import('../output/json.js');
        printJson(result);
      } else {
        const lines = formatMigrateSummary(result);
        (readOnly ? process.stdout : process.stderr).write(lines.join('\n') + '\n');
      }
      if (flags.check) return result.pending.length > 0 || result.outcomes.length > 0 || result.firstRun ? 1 : 0;
      return 0;
    }));
}
