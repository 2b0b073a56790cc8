/** `pgpatch inspect`: print the schema model of the target database as JSON, for debugging and other tools. */
import type { Command } from 'commander';
import { UsageError } from '../errors';
import type { ExcludeTable } from '../engine/schema/inspect/model';
import { action, collect, globals, target } from './common';

export function register(program: Command): void {
  program
    .command('inspect')
    .description(
      "print the target database's schema as JSON: tables, columns, constraints, indexes, views, functions, " +
        'types, grants... (read-only; the schema_patch record is left out)',
    )
    .option('--exclude <[schema.]table>', 'leave out this table (repeatable; replaces the default, schema_patch in any schema)', collect)
    .action(
      action(async (_opts: unknown, cmd: Command) => {
        const flags = globals(cmd) as ReturnType<typeof globals> & { exclude?: string[] };
        const exclude = flags.exclude ? flags.exclude.map(parseExclude) : undefined;
        const t = await target(flags);
        const { inspect } = await import('../engine/schema/inspect/inspect.js');
        const result = await inspect(t, { exclude });
        const { renderInspect } = await import('../output/inspect.js');
        renderInspect(result);
        return 0;
      }),
    );
}

function parseExclude(value: string): ExcludeTable {
  const dot = value.indexOf('.');
  if (dot === 0 || dot === value.length - 1 || value === '') throw new UsageError(`--exclude ${value}: give a table name, or schema.table`);
  return dot < 0 ? { table: value } : { schema: value.slice(0, dot), table: value.slice(dot + 1) };
}
