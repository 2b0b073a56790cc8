/** `pgpatch showmigrations`: each patch with its state, Django's [X] / [ ] style. */
import type { Command } from 'commander';
import { action, globals, paths, say, target } from './common';

export function register(program: Command): void {
  program
    .command('showmigrations')
    .description('list the patches: applied, pending, skipped, assumed, failed, edited since applied (--verbose: by whom, how long)')
    .action(
      action(async (_o: unknown, cmd: Command) => {
        const flags = globals(cmd);
        const { target: t } = await target(flags, say);
        const { showMigrations } = await import('../engine/migrate/showmigrations.js');
        const p = paths(flags);
        const result = await showMigrations({
          target: t,
          patchesDir: p.patchesDir,
          recordSchema: flags.recordSchema,
          checksumCache: p.checksumCache,
          details: flags.verbose,
        });
        if (flags.json) {
          const { printJson } = await import('../output/json.js');
          printJson(result);
        } else {
          const { formatShow } = await import('../output/migrations.js');
          process.stdout.write(formatShow(result).join('\n') + '\n');
        }
        return 0;
      }),
    );
}
