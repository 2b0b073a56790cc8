/**
 * `pgpatch sqlmigrate NAME`: prints a patch as it is (the reference: "replaced by cat"), found by
 * full name, unique prefix or file. Its pre/post scripts are listed on stderr, so stdout is the
 * patch. `--expand` prints the statements as they would run, includes expanded.
 */
import type { Command } from 'commander';
import { EXIT } from '../errors';
import { parseVariableFlags } from '../settings';
import { action, collect, globals, paths } from './common';

interface Flags {
  expand?: boolean;
  includeRoot?: string;
  set: string[];
}

export function register(program: Command): void {
  program
    .command('sqlmigrate')
    .description('print a patch, found by its name, a unique prefix or its file; --expand follows its \\i includes')
    .argument('<name>', 'patch name (2026-03-01_add_isbn), the start of one, or its file')
    .option('--expand', 'print the statements as they would run, includes expanded, each after a "-- file:line" comment')
    .option(
      '--include-root <dir>',
      'with --expand: folder that \\i paths are relative to (default: the folder of the patch, as migrate does)',
    )
    .option('-v, --set <name=value>', 'with --expand: set a psql variable, like psql -v (repeatable)', collect, [])
    .action(
      action(async (name: string, _opts: unknown, cmd: Command) => {
        const flags = globals(cmd) as ReturnType<typeof globals> & Flags;
        const { patchesDir } = paths(flags);
        const { sqlMigrate } = await import('../engine/authoring/sqlmigrate.js');
        const result = await sqlMigrate({
          patchesDir,
          name,
          expand: flags.expand,
          compile: { includeRoot: flags.includeRoot, variables: parseVariableFlags(flags.set) },
        });
        const { renderSqlMigrate } = await import('../output/sqlmigrate.js');
        renderSqlMigrate(result, flags);
        return EXIT.ok;
      }),
    );
}
