#!/usr/bin/env node
/**
 * The command line: flags in, exit status out. The only `catch` that ends a command is here
 * (`try --watch` reports a failed run and keeps watching; the engine catches only to add data).
 * Commands are loaded lazily: `pgpatch --help` must not pay for pg, the parser or git.
 */
// Before any other module: Node 22.1+ keeps the compiled code of the modules a command loads, so
// the next run does not compile them again (Node 20 has no cache: nothing happens there). In
// pgpatch's cache folder (as settings.ts's checksumCacheFile: PGPATCH_CACHE_DIR, `off` for none),
// not Node's default under TMPDIR, which pgpatch leaves as it found it.
enableCompileCache(process.env);
import { Command } from 'commander';
import { outcome } from './commands/common';
import { closeLine } from './output/terminal';
import { EXIT, PgpatchError } from './errors';

const COMMANDS = [
  'load',
  'migrate',
  'showmigrations',
  'embedded',
  'makemigrations',
  'sqlmigrate',
  'squashmigrations',
  'init',
  'inspect',
  'check',
  'adopt',
  'lint',
  'try',
  'diff',
  'testdb',
] as const;

/**
 * The command `args` (argv past node and the script) runs, when that is certain before commander
 * reads them: the first word after the program's own options (read from `program`, so a new
 * global option cannot be missed here). Loading the 14 command modules to register them was
 * ~25 ms of CPU on every run (issue 15); with the name known, only its module is loaded.
 * Undefined when in doubt (help, an unknown option before the command, `--`): then every command
 * is registered, as help and usage errors list them all.
 */
export function certainCommand(program: Command, args: string[]): string | undefined {
  const takesValue = new Set<string>();
  const flags = new Set<string>();
  for (const o of program.options) if (o.long) (o.required || o.optional ? takesValue : flags).add(o.long);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (takesValue.has(a)) {
      i++;
      continue;
    }
    if (flags.has(a) || [...takesValue].some((o) => a.startsWith(`${o}=`))) continue;
    return (COMMANDS as readonly string[]).includes(a) ? a : undefined;
  }
  return undefined;
}

/** The program's own options, without its commands. */
function programWithoutCommands(): Command {
  return (
    new Command('pgpatch')
      .description('Hand-written SQL patches for PostgreSQL schemas kept in plain .sql files')
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- read at run time, not compiled in
      .version(require('../package.json').version)
      .option(
        '--dsn <conninfo>',
        'target database, a URI or libpq key/value pairs (default: DATABASE_URL, then PGSERVICE, PGHOST, PGDATABASE...)',
      )
      .option('--embedded', 'use the local PostgreSQL kept in .pgpatch/ of the project, started when needed')
      .option('--embedded-db <name>', 'database on the embedded server', 'pgpatch')
      .option('--schema-dir <dir>', 'folder of the schema files (default: schema, or PGPATCH_SCHEMA_DIR)')
      .option('--patches-dir <dir>', 'folder of the patches (default: <schema-dir>/patches, or PGPATCH_PATCHES_DIR)')
      .option('--record-schema <schema>', 'schema of the schema_patch record table', process.env.PGPATCH_RECORD_SCHEMA ?? 'public')
      .option('--json', 'print the result as JSON on stdout')
      .option('--verbose', 'more detail: in errors, and who applied each patch in showmigrations')
      .showHelpAfterError()
      .exitOverride()
  );
}

/**
 * The program with every command; given `args` (argv past node and the script), with only the
 * command they certainly run (certainCommand), when there is one.
 */
export function buildProgram(args?: string[]): Command {
  const program = programWithoutCommands();
  const only = args && certainCommand(program, args);
  for (const name of only ? [only] : COMMANDS) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(`./commands/${name}`).register(program);
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram(argv.slice(2));
  try {
    outcome.exitCode = EXIT.ok;
    await program.parseAsync(argv);
    return outcome.exitCode;
  } catch (error) {
    const e = error as { code?: string; exitCode?: number };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      // commander has already printed help, version, or the usage error.
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    closeLine();
    const json = program.opts().json || argv.includes('--json');
    const verbose = program.opts().verbose || argv.includes('--verbose');
    if (json) {
      const { errorToJson } = await import('./output/json.js');
      process.stdout.write(JSON.stringify({ error: errorToJson(error) }, null, 2) + '\n');
    }
    const { formatError } = await import('./output/text.js');
    process.stderr.write(formatError(error, verbose).join('\n') + '\n');
    return error instanceof PgpatchError ? error.exitCode : EXIT.internal;
  }
}

if (require.main === module) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}

function enableCompileCache(env: NodeJS.ProcessEnv): void {
  /* eslint-disable @typescript-eslint/no-require-imports -- runs before the module's imports */
  const { enableCompileCache: enable } = require('node:module') as { enableCompileCache?: (dir: string) => unknown };
  if (!enable) return;
  const { homedir } = require('node:os') as typeof import('node:os');
  const { isAbsolute, join } = require('node:path') as typeof import('node:path');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const xdg = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  const dir = env.PGPATCH_CACHE_DIR ?? join(xdg, 'pgpatch');
  // A relative PGPATCH_CACHE_DIR is refused by settings with a hint; until then nothing is made.
  if (isAbsolute(dir)) enable(join(dir, 'node-compile-cache'));
}
