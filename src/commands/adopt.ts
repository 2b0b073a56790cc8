/**
 * `pgpatch adopt`: write the schema files of an existing database (one per Django app, from the
 * table prefixes, plus database.sql) and record the baseline, so the next change is the first patch.
 * Exit 0 when written (or listed with --dry-run), 2 when files exist (nothing written) or no target.
 */
import type { Command } from 'commander';
import { EXIT } from '../errors';
import { resolveTarget } from '../settings';
import { action, collect, globals, paths } from './common';

interface Flags {
  app: string[];
  keepDjangoMigrations?: boolean;
  force?: boolean;
  dryRun?: boolean;
  record: boolean;
}

export function register(program: Command): void {
  program
    .command('adopt')
    .description(
      'write the schema files of the target database (one per app, by table prefix, plus database.sql) ' +
        'and create an empty schema_patch record, so the next change is the first patch; never overwrites without --force',
    )
    .option('--app <prefix>', 'a table-name prefix that names an app (repeatable; default: the text before the first _)', collect, [])
    .option('--keep-django-migrations', "also write Django's django_migrations table (left out by default)")
    .option('--force', 'overwrite schema files that exist')
    .option('--dry-run', 'list the files it would write; write and record nothing')
    .option('--no-record', 'write the files, leave the database alone (no schema_patch)')
    .action(
      action(async (_opts: unknown, cmd: Command) => {
        const flags = globals(cmd) as ReturnType<typeof globals> & Flags;
        // adopt reads a database that exists: never the embedded one, never a default.
        const target = resolveTarget({ dsn: flags.dsn, embedded: false })!;
        const { schemaDir, patchesDir, projectDir } = paths(flags);
        const { renderAdopt, announceAdopt } = await import('../output/adopt.js');
        if (flags.record && !flags.dryRun) announceAdopt(target);
        const { adopt } = await import('../engine/schema/adopt/adopt.js');
        const r = await adopt({
          target,
          schemaDir,
          patchesDir,
          apps: flags.app.length ? flags.app : undefined,
          keepDjangoMigrations: flags.keepDjangoMigrations,
          force: flags.force,
          dryRun: flags.dryRun,
          record: flags.record,
          recordSchema: flags.recordSchema,
          projectDir,
        });
        renderAdopt(r, flags);
        return EXIT.ok;
      }),
    );
}
