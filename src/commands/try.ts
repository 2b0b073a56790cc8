/**
 * `pgpatch try NAME`: runs a patch in a transaction that is always rolled back, on the target,
 * and shows what it locked, rewrote and built, what it changed, whether the database then
 * matches the schema files, and what no rollback undid. Exit 0 when it ran, 3 when it failed
 * (rolled back either way), 5 when a statement waited longer than the statement lock timeout,
 * 2 when it was refused (it would commit, or do what no rollback undoes).
 */
import type { Command } from 'commander';
import { EXIT } from '../errors';
import { parseVariableFlags, resolveStatementLockTimeout } from '../settings';
import { action, collect, globals, paths, scratch, target, type GlobalFlags } from './common';

interface TryFlags {
  watch?: boolean;
  scratch?: boolean;
  base?: string;
  scratchUrl?: string;
  schemaFiles: boolean;
  statementLockTimeout?: string;
  set: string[];
}

export function register(program: Command): void {
  program
    .command('try')
    .description(
      'run a patch on the target in a transaction that is always rolled back, and show its locks, rewrites, changes and whether the schema files now match',
    )
    .argument('<name>', 'patch name, unique prefix, or file')
    .option(
      '--scratch',
      'run it on a scratch database built from the schema files at --base and the patches since (dropped after), not on the target: for patches that commit',
    )
    .option(
      '--base <ref>',
      'with --scratch: the commit the patches start from (default: as check, the merge base with origin/HEAD, main or master)',
    )
    .option(
      '--scratch-url <url>',
      'a server where the schema files may be built for the comparison (default: PGPATCH_SCRATCH_URL, else the embedded server)',
    )
    .option('--no-schema-files', 'do not compare the result with the schema files')
    .option(
      '--statement-lock-timeout <duration>',
      "PostgreSQL's lock_timeout for the patch's statements (500ms, 5s, 2min; 0: none): a longer wait for a table lock fails the try, naming who holds it (env PGPATCH_STATEMENT_LOCK_TIMEOUT; default 2s)",
    )
    .option('--watch', 'run it again on every save of the patch or of the schema files (Ctrl-C to stop)')
    .option('-v, --set <name=value>', 'set a psql variable for the patch (repeatable)', collect, [])
    .action(
      action(async (name: string, _o: unknown, cmd: Command) => {
        const flags = globals(cmd) as GlobalFlags & TryFlags;
        const p = paths(flags);
        const { TRY_STATEMENT_LOCK_TIMEOUT_MS } = await import('../engine/authoring/try/try.js');
        // 0 (none) when the flag or the setting says 0; try's short default when neither is given.
        const statementLockTimeoutMs =
          resolveStatementLockTimeout(flags.statementLockTimeout, process.env, TRY_STATEMENT_LOCK_TIMEOUT_MS) ?? 0;
        const { tryEventPrinter, renderTry, renderTryError, sayWatching } = await import('../output/try.js');
        const options = {
          name,
          patchesDir: p.patchesDir,
          schemaDir: p.schemaDir,
          entry: p.entry,
          recordSchema: flags.recordSchema,
          compile: { variables: parseVariableFlags(flags.set) },
          target: flags.scratch && !flags.dsn && !flags.embedded ? undefined : () => target(flags),
          scratch: scratch(flags.scratchUrl, flags),
          onScratch: flags.scratch ? { base: flags.base } : undefined,
          compareWithFiles: flags.schemaFiles,
          statementLockTimeoutMs,
          onEvent: tryEventPrinter({ statementLockTimeoutMs: statementLockTimeoutMs || undefined }),
        };
        const run = await import('../engine/authoring/try/run.js');
        if (!flags.watch) return renderTry(await run.tryRun(options), flags);
        await run.watchTry(options, (r) => {
          if (r.result) renderTry(r.result, flags);
          else renderTryError(r.error, flags);
          sayWatching(r.patch);
        });
        return EXIT.ok;
      }),
    );
}
