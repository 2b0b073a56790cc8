/**
 * `pgpatch adopt`: write the schema files of an existing database (one per Django app, from the
 * table prefixes, plus database.sql) and record the baseline, so the next change is the first patch.
 * Exit 0 when written (or listed with --dry-run), 2 when files exist (nothing written) or no target.
 */
import type { Command } from 'commander';
import { EXIT } from '../errors';
import { resolveTarget } from '../settings';
import { action, announceTarget, collect, globals, paths, say } from './common';

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
        const { schemaDir, patchesDir } = paths(flags);
        if (flags.record && !flags.dryRun) announceTarget('adopting (its record goes there too)', target);
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
        });
        if (flags.json) {
          const { printJson } = await import('../output/json.js');
          printJson(r);
          return EXIT.ok;
        }
        const { displayPath } = await import('../output/text.js');
        const verb = r.dryRun ? 'would write' : 'wrote';
        for (const f of r.files) {
          const note = r.existing.includes(f.path) ? (r.dryRun ? ' (exists)' : ' (overwritten)') : '';
          process.stdout.write(`${verb} ${displayPath(f.path)}: ${f.summary}${note}\n`);
        }
        for (const t of r.leftOut) say(`pgpatch: left out table ${t} (Django's migration history; --keep-django-migrations keeps it)`);
        for (const n of r.notCarried) say(`pgpatch: not carried over: ${n.object}: ${n.reason}`);
        if (r.mainOwner) say(`pgpatch: most objects are owned by ${r.mainOwner}: load the files as that role`);
        if (r.record === 'created') say(`pgpatch: created ${r.recordSchema}.schema_patch, empty: the next patch is the first`);
        else if (r.record) say(`pgpatch: ${r.recordSchema}.schema_patch was there already (${r.record}): left as it is`);
        else if (!r.dryRun) say('pgpatch: --no-record: the database has no schema_patch; create it with pgpatch migrate --assume-applied');
        return EXIT.ok;
      }),
    );
}
