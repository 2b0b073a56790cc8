/**
 * `pgpatch makemigrations NAME`: a new patch with the git diff of the schema files as comments and
 * a draft of its statements (built in scratch databases and compared; --no-draft: none).
 * `pgpatch makemigrations --check [--base REF]`: for CI, exit 1 when schema files changed
 * without a new patch.
 */
import type { Command } from 'commander';
import { EXIT, UsageError } from '../errors';
import { action, globals, paths, scratch } from './common';

interface Flags {
  base?: string;
  empty?: boolean;
  dryRun?: boolean;
  check?: boolean;
  template?: string;
  draft: boolean;
  scratchUrl?: string;
}

export function register(program: Command): void {
  program
    .command('makemigrations')
    .description(
      'write a new patch schema/patches/<today>_<name>.sql, with the git diff of the schema files as comments and a draft of its statements',
    )
    .argument('[name]', 'what the patch does, in a few words (becomes the file name: add_book_isbn)')
    .option('--base <ref>', 'diff the working tree against the merge base with REF (e.g. main) instead of HEAD')
    .option('--empty', 'no diff in the patch')
    .option('--dry-run', 'print the patch instead of writing it')
    .option('--check', 'exit 1 when schema files changed against --base (default HEAD) and no new patch came with them')
    .option('--no-draft', 'no draft statements: only the diff as comments')
    .option(
      '--scratch-url <url>',
      'a server where pgpatch may create and drop databases, to build the schema files for the draft (default: PGPATCH_SCRATCH_URL, else the embedded server of the project if it has one)',
    )
    .option('--template <file>', 'patch template (default: <schema-dir>/patch-template.sql, then the built-in one)')
    .action(
      action(async (name: string | undefined, _opts: unknown, cmd: Command) => {
        const flags = globals(cmd) as ReturnType<typeof globals> & Flags;
        const { schemaDir, patchesDir, entry } = paths(flags);
        const render = await import('../output/makemigrations.js');
        if (flags.check) {
          if (name !== undefined || flags.empty || flags.dryRun)
            throw new UsageError('--check takes no NAME, --empty or --dry-run: it only checks');
          const { checkMigrations } = await import('../engine/authoring/makemigrations.js');
          const r = await checkMigrations({ schemaDir, patchesDir, base: flags.base });
          render.renderMigrationsCheck(r, { json: flags.json, patchesDir });
          return r.ok ? EXIT.ok : EXIT.answerNo;
        }
        if (name === undefined) throw new UsageError('makemigrations needs a NAME: what the patch does, e.g. add_book_isbn');
        const { makeMigration } = await import('../engine/authoring/makemigrations.js');
        const r = await makeMigration({
          name,
          schemaDir,
          patchesDir,
          base: flags.base,
          empty: flags.empty,
          dryRun: flags.dryRun,
          template: flags.template,
          draft: flags.draft && !flags.empty ? { entry, scratch: scratch(flags.scratchUrl, flags) } : undefined,
        });
        render.renderMakeMigration(r, { json: flags.json, schemaDir });
        return EXIT.ok;
      }),
    );
}
