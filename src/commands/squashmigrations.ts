/**
 * `pgpatch squashmigrations`: archives the patches the target database has into YYYY/MM/ folders
 * (`git mv` inside a work tree). The database is only read. The record's schema comes from the
 * global --record-schema (PGPATCH_RECORD_SCHEMA), as for migrate and showmigrations.
 */
import type { Command } from 'commander';
import { EXIT } from '../errors';
import { action, globals, paths, target } from './common';

interface Flags {
  byYear?: boolean;
  before?: string;
  dryRun?: boolean;
}

export function register(program: Command): void {
  program
    .command('squashmigrations')
    .description('move the patches the target database has applied (or assumed, or skipped) into YYYY/MM/ folders')
    .option('--by-year', 'one folder per year (YYYY/) instead of YYYY/MM/')
    .option('--before <date>', 'only patches dated before this day (YYYY-MM-DD)')
    .option('--dry-run', 'list the moves without making them')
    .action(
      action(async (_opts: unknown, cmd: Command) => {
        const flags = globals(cmd) as ReturnType<typeof globals> & Flags;
        const { patchesDir } = paths(flags);
        const { checkDay, squashMigrations } = await import('../engine/authoring/squashmigrations.js');
        if (flags.before !== undefined) checkDay(flags.before, '--before'); // before connecting
        const t = await target(flags);
        const r = await squashMigrations({
          target: t,
          patchesDir,
          recordSchema: flags.recordSchema,
          byYear: flags.byYear,
          before: flags.before,
          dryRun: flags.dryRun,
        });
        const { renderSquash } = await import('../output/squashmigrations.js');
        renderSquash(r, flags);
        return EXIT.ok;
      }),
    );
}
