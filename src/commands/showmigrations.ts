/** `pgpatch showmigrations`: each patch with its state, Django's [X] / [ ] style. */
import type { Command } from 'commander';
import type { FleetFlags } from '../settings';
import { action, fleet, fleetOptions, globals, isFleet, paths, target, type GlobalFlags } from './common';

export function register(program: Command): void {
  const command = program
    .command('showmigrations')
    .description(
      'list the patches: applied, pending, skipped, assumed, failed, edited since applied (--verbose: by whom, how long); over a fleet, the targets that are not up to date',
    );
  fleetOptions(command).action(
    action(async (_o: unknown, cmd: Command) => {
      const flags = globals(cmd) as GlobalFlags & FleetFlags;
      const p = paths(flags);
      const f = isFleet(flags) ? await fleet(flags) : undefined;
      if (f) {
        const { showFleet } = await import('../engine/fleet/showmigrations.js');
        const { fleetEventPrinter, renderFleetShow } = await import('../output/fleet.js');
        const result = await showFleet({
          fleet: f.spec,
          jobs: f.run.jobs,
          patchesDir: p.patchesDir,
          recordSchema: flags.recordSchema,
          onEvent: fleetEventPrinter(),
        });
        renderFleetShow(result, flags);
        // As showmigrations of one target: pending or failed patches are its answer, not an error (migrate --check judges).
        return result.exitCode;
      }
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
