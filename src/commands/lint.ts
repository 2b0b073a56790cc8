/**
 * `pgpatch lint [NAME...]`: squawk's lock-hazard rules over patches as migrate will run them.
 * Default: the pending patches of the target (read-only), or every patch when no target is
 * given. Exit 1 on error-level findings (or a patch migrate would refuse), so CI can gate on it.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../errors';
import { hasTarget, parseVariableFlags, resolveStatementLockTimeout } from '../settings';
import { action, collect, globals, paths, target, type GlobalFlags } from './common';

interface LintFlags {
  all?: boolean;
  exclude: string[];
  enable: string[];
  pgVersion?: string;
  statementLockTimeout?: string;
  set: string[];
}

export function register(program: Command): void {
  program
    .command('lint')
    .description('check patches for lock hazards with squawk, as they will run (includes expanded, in or outside a transaction)')
    .argument('[names...]', 'patches by name, unique prefix or file (default: the pending patches; every patch without a target)')
    .option('--all', 'every patch, applied or not')
    .option('--exclude <rule>', 'turn a squawk rule off (repeatable, or comma-separated); adds to .squawk.toml', collect, [])
    .option('--enable <rule>', "turn on one of squawk's opt-in rules (repeatable)", collect, [])
    .option('--pg-version <version>', 'the PostgreSQL version the patches will run on, for version-aware rules (e.g. 15)')
    .option(
      '--statement-lock-timeout <duration>',
      "the statement lock timeout migrate will run the patches with (as migrate reads it: this flag, else PGPATCH_STATEMENT_LOCK_TIMEOUT): it satisfies squawk's timeout rules",
    )
    .option('-v, --set <name=value>', 'set a psql variable for the patches (repeatable)', collect, [])
    .action(
      action(async (names: string[], _o: unknown, cmd: Command) => {
        const flags = globals(cmd) as GlobalFlags & LintFlags;
        const p = paths(flags);
        const askTarget = !names.length && !flags.all && hasTarget(flags);
        const config = join(p.projectDir, '.squawk.toml');
        const { lintProject } = await import('../engine/authoring/lint/project.js');
        const result = await lintProject({
          patchesDir: p.patchesDir,
          names,
          all: flags.all,
          target: askTarget ? await target(flags) : undefined,
          recordSchema: flags.recordSchema,
          checksumCache: p.checksumCache,
          compile: { variables: parseVariableFlags(flags.set) },
          exclude: flags.exclude
            .flatMap((r) => r.split(','))
            .map((r) => r.trim())
            .filter(Boolean),
          include: flags.enable,
          configFile: existsSync(config) ? config : undefined,
          pgVersion: flags.pgVersion,
          statementLockTimeoutMs: resolveStatementLockTimeout(flags.statementLockTimeout),
        });
        const { renderLint } = await import('../output/lint.js');
        renderLint(result, flags);
        return result.errors > 0 ? EXIT.answerNo : EXIT.ok;
      }),
    );
}
