/**
 * `pgpatch init`: scaffolds schema/database.sql, users.sql, <app>.sql, patches/ and pgpatch.mk;
 * with --django also schema/django.sql and the kit, pgpatch_django/.
 * Existing files are never overwritten; they are listed as skipped.
 */
import type { Command } from 'commander';
import { EXIT } from '../errors';
import { action, globals, paths } from './common';

interface Flags {
  app: string;
  makefile: boolean;
  django?: boolean;
}

export function register(program: Command): void {
  program
    .command('init')
    .description('scaffold the schema folder (database.sql, users.sql, <app>.sql, patches/) and pgpatch.mk; never overwrites')
    .option('--app <name>', 'name of the app: its role, its schema and its <app>.sql', 'myapp')
    .option('--no-makefile', 'print the Makefile snippet instead of writing pgpatch.mk')
    .option('--django', "also Django's own tables (schema/django.sql) and pgpatch's Django app (pgpatch_django/)")
    .action(
      action(async (_opts: unknown, cmd: Command) => {
        const flags = globals(cmd) as ReturnType<typeof globals> & Flags;
        const { projectDir, schemaDir, patchesDir } = paths(flags);
        const { scaffold } = await import('../engine/authoring/init.js');
        const r = scaffold({ projectDir, schemaDir, patchesDir, app: flags.app, makefile: flags.makefile, django: flags.django });
        const { renderInit } = await import('../output/init.js');
        renderInit(r, { json: flags.json, makefile: flags.makefile, django: flags.django });
        return EXIT.ok;
      }),
    );
}
