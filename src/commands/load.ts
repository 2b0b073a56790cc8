/** `pgpatch load [FILE]`: build a database from the schema files, as `psql -f` would. */
import type { Command } from 'commander';
import { UsageError } from '../errors';
import { parseVariableFlags } from '../settings';
import { action, announceTarget, collect, globals, paths, say, target } from './common';
import { scriptEventPrinter } from './events';

export function register(program: Command): void {
  program
    .command('load')
    .description('run the schema entry file (default schema/database.sql) or any psql script against the target')
    .argument('[file]', 'psql script to run (default: <schema-dir>/database.sql)')
    .option('-v, --set <name=value>', 'set a psql variable, like psql -v (repeatable)', collect, [])
    .option('--include-root <dir>', 'folder that \\i paths are relative to (default: the folder of FILE)')
    .option('--fresh', 'drop and re-create the embedded database first (only with --embedded)')
    .option('-1, --single-transaction', 'all of it or nothing: run it in one transaction, like psql -1')
    .action(action(async (file: string | undefined, _opts: unknown, cmd: Command) => {
      const flags = globals(cmd) as ReturnType<typeof globals> & { set: string[]; includeRoot?: string; fresh?: boolean; singleTransaction?: boolean };
      if (flags.fresh && !flags.embedded) throw new UsageError('--fresh drops the database: it is allowed only with --embedded');
      const variables = parseVariableFlags(flags.set);
      const entry = paths({ ...flags, entry: file }).entry;
      const { target: t, embeddedUrl } = await target(flags, say);
      if (flags.fresh && embeddedUrl) {
        const { recreateDatabase } = await import('../engine/embedded.js');
        const url = new URL(embeddedUrl);
        await recreateDatabase(embeddedUrl.replace(url.pathname, '/postgres'), decodeURIComponent(url.pathname.slice(1)));
      }
      announceTarget('loading into', t);
      const { loadScript } = await import('../engine/script/load.js');
      const result = await loadScript({
        target: t, entry, includeRoot: flags.includeRoot, variables, singleTransaction: flags.singleTransaction, onEvent: scriptEventPrinter(),
      });
      if (flags.json) {
        const { printJson } = await import('../output/json.js');
        printJson(result);
      } else {
        say(`pgpatch: loaded ${result.statements} statements from ${result.files.length} files in ${result.durationMs} ms into ${result.target}`);
      }
      return 0;
    }));
}
