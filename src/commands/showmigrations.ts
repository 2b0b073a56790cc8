/** `pgpatch showmigrations`: each patch with its state, Django's [X] / [ ] style. */
import type { Command } from 'commander';
import { action, globals, paths, target } from './common';

export function register(program: Command): void {
  program
    .command('showmigrations')
    .description('list the patches: applied, pending, skipped, assumed, failed, edited since applied (--verbose: by whom, how long)')
    .action(
      action(async (_o: unknown, cmd: Command) => {
        const flags = globals(cmd);
        const p = paths(flags);
        const t = await target(flags);
        const { showMigrations } = await import('../engine/migrate/showmigrations.js');
        const result = await showMigrations({
          target: t,
          patchesDir: p.patchesDir,
          recordSchema: flags.recordSchema,
          checksumCache: p.checksumCache,
          details: flags.verbose,
        });
        const { renderShow } = await import('../output/migrations.js');
        renderShow(result, flags);
        return 0;
      }),
    );
}
