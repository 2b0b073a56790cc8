/**
 * `pgpatch load [FILE]`: build a database from the schema files, as `psql -f` would. Refuses a
 * database that is not empty unless --force (asks on a terminal); a load of the schema entry
 * file records the baseline (every patch `assumed`) unless --no-record.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors';
import { parseVariableFlags } from '../settings';
import { action, collect, globals, paths, target } from './common';

interface LoadFlags {
  set: string[];
  includeRoot?: string;
  fresh?: boolean;
  singleTransaction?: boolean;
  force?: boolean;
  input: boolean;
  record: boolean;
}

export function register(program: Command): void {
  program
    .command('load')
    .description('run the schema entry file (default schema/database.sql) or any psql script against the target')
    .argument('[file]', 'psql script to run (default: <schema-dir>/database.sql)')
    .option('-v, --set <name=value>', 'set a psql variable, like psql -v (repeatable)', collect, [])
    .option('--include-root <dir>', 'folder that \\i paths are relative to (default: the folder of FILE)')
    .option('--fresh', 'drop and re-create the embedded database first (only with --embedded)')
    .option('-1, --single-transaction', 'all of it or nothing: run it in one transaction, like psql -1')
    .option('--force', 'load into a database that is not empty (has objects of its own or a schema_patch record)')
    .option('--no-input', 'do not ask: refuse a database that is not empty (the default when not on a terminal)')
    .option('--no-record', 'loading the schema entry file: do not record the patches present as assumed')
    .action(
      action(async (file: string | undefined, _opts: unknown, cmd: Command) => {
        const flags = globals(cmd) as ReturnType<typeof globals> & LoadFlags;
        if (flags.fresh && !flags.embedded) throw new UsageError('--fresh drops the database: it is allowed only with --embedded');
        const variables = parseVariableFlags(flags.set);
        const entry = paths({ ...flags, entry: file }).entry;
        const configured = paths(flags);
        // The baseline belongs to the schema entry file only: a data or seed file says nothing of the patches.
        const record = flags.record && resolve(entry) === configured.entry ? { patchesDir: configured.patchesDir } : undefined;
        const t = await target(flags, { fresh: flags.fresh });
        const { announceTarget } = await import('../output/terminal.js');
        announceTarget('loading into', t.display);
        const { loadScript } = await import('../engine/script/load.js');
        const prompt = await import('../output/prompt.js');
        const { scriptEventPrinter } = await import('../output/events.js');
        const interactive = flags.input && !flags.json && prompt.isInteractive();
        const result = await loadScript({
          target: t,
          entry,
          includeRoot: flags.includeRoot,
          variables,
          singleTransaction: flags.singleTransaction,
          onEvent: scriptEventPrinter(),
          force: flags.force,
          confirmNotEmpty: interactive ? prompt.confirmLoadNotEmpty : undefined,
          recordSchema: flags.recordSchema,
          record,
        }).finally(prompt.closePrompt);
        const { renderLoad } = await import('../output/load.js');
        renderLoad(result, flags);
        return 0;
      }),
    );
}
