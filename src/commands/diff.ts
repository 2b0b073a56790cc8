/**
 * `pgpatch diff --from SOURCE --to SOURCE`: the SQL that turns FROM into TO, on stdout, ready for
 * psql; nothing when they are the same. A SOURCE is a postgres:// URL (read, never written) or
 * a schema entry file (built in a scratch database). Exit 0, or with --exit-code 1 when they differ.
 */
import type { Command } from 'commander';
import { diffSource, parseVariableFlags } from '../settings';
import { action, collect, globals, scratch } from './common';

interface DiffFlags {
  from: string;
  to: string;
  schema: string[];
  excludeSchema: string[];
  exitCode?: boolean;
  explain?: boolean;
  safe?: boolean;
  scratchUrl?: string;
  set: string[];
}

export function register(program: Command): void {
  program
    .command('diff')
    .description(
      'print the SQL that turns one schema into another (each a postgres:// URL or a schema entry file); a draft to read, never run by pgpatch',
    )
    .requiredOption('--from <source>', 'the schema as it is: a postgres:// URL or a schema entry file (database.sql)')
    .requiredOption('--to <source>', 'the schema as it should be: a postgres:// URL or a schema entry file')
    .option('--schema <name>', 'only this schema (repeatable)', collect, [])
    .option('--exclude-schema <name>', 'leave out this schema (repeatable)', collect, [])
    .option('--exit-code', 'exit 1 when the schemas differ')
    .option('--explain', 'a comment before each statement naming the difference it answers')
    .option('--safe', 'write the statements that lose data (DATA LOSS) commented out, for a person to decide')
    .option(
      '--scratch-url <url>',
      'a server where pgpatch may create and drop databases, for schema files (default: PGPATCH_SCRATCH_URL, else the embedded server)',
    )
    .option('-v, --set <name=value>', 'set a psql variable for the schema files (repeatable)', collect, [])
    .action(
      action(async (_o: unknown, cmd: Command) => {
        const flags = globals(cmd) as ReturnType<typeof globals> & DiffFlags;
        const { diff } = await import('../engine/schema/diff/index.js');
        const { diffEventPrinter, renderDiff } = await import('../output/diff.js');
        const result = await diff({
          from: diffSource(flags.from, '--from'),
          to: diffSource(flags.to, '--to'),
          schemas: flags.schema,
          excludeSchemas: flags.excludeSchema,
          scratch: scratch(flags.scratchUrl, flags),
          variables: parseVariableFlags(flags.set),
          onEvent: diffEventPrinter(),
        });
        renderDiff(result, flags);
        return flags.exitCode && result.changes.length ? 1 : 0;
      }),
    );
}
