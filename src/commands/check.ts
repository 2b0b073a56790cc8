/**
 * `pgpatch check`: do the patches and the schema files describe the same database?
 * Exit 0 when they agree, 1 with the differences, 2 when something could not be built.
 */
import type { Command } from 'commander';
import { realpathSync } from 'node:fs';
import { UsageError } from '../errors';
import { parseVariableFlags, resolveTarget } from '../settings';
import { abortOnSignals, action, collect, globals, paths, say, scratchServer } from './common';
import { scriptEventPrinter } from './events';
import type { CheckEvent } from '../engine/schema/check/check';

interface CheckFlags {
  base?: string;
  scratchUrl?: string;
  live?: boolean;
  strict?: boolean;
  ignoreOwners?: boolean;
  set: string[];
}

export function register(program: Command): void {
  program
    .command('check')
    .description(
      'build the schema files and (schema files at --base + patches since) in scratch databases and compare them; with --dsn or --live, compare a live database with the schema files',
    )
    .option('--base <ref>', 'the commit the patches start from: its merge base with HEAD (default: origin/HEAD, main or master)')
    .option(
      '--scratch-url <url>',
      'a server where pgpatch may create and drop databases (default: PGPATCH_SCRATCH_URL, else the embedded server)',
    )
    .option('--live', 'compare the target database (DATABASE_URL, PG* variables) with the schema files: drift')
    .option('--strict', 'column order differences fail the check too')
    .option('--ignore-owners', 'leave out owner differences (a live database built by another role)')
    .option('-v, --set <name=value>', 'set a psql variable (repeatable)', collect, [])
    .action(
      action(async (_o: unknown, cmd: Command) => {
        const flags = globals(cmd) as ReturnType<typeof globals> & CheckFlags;
        if (flags.embedded)
          throw new UsageError('check builds its scratch databases on the embedded server by default; --embedded has no meaning here');
        const live = flags.dsn || flags.live ? resolveTarget({ dsn: flags.dsn }) : undefined;
        if (live && flags.base) throw new UsageError('--base compares patches; a live comparison (--dsn, --live) takes no base');
        const p = paths(flags);
        const scratchUrl = await scratchServer(flags.scratchUrl, p.projectDir);
        const { check } = await import('../engine/schema/check/check.js');
        const interrupt = abortOnSignals(() => say('pgpatch: interrupted: dropping the scratch databases'));
        try {
          const result = await check({
            projectRoot: p.projectDir,
            schemaDir: real(p.schemaDir),
            entry: real(p.entry),
            patchesDir: real(p.patchesDir),
            scratchUrl,
            live,
            baseRef: flags.base,
            recordSchema: flags.recordSchema,
            variables: parseVariableFlags(flags.set),
            strict: flags.strict,
            ignoreOwners: flags.ignoreOwners,
            onEvent: checkEventPrinter(),
            signal: interrupt.signal,
          });
          if (flags.json) {
            const { printJson } = await import('../output/json.js');
            printJson(result);
          } else {
            const { formatCheck } = await import('../output/check.js');
            process.stdout.write(formatCheck(result).join('\n') + '\n');
          }
          return result.ok ? 0 : 1;
        } finally {
          interrupt.dispose();
        }
      }),
    );
}

export function checkEventPrinter(): (e: CheckEvent) => void {
  const printScript = scriptEventPrinter();
  return (e) => {
    if (e.type === 'building') say(`pgpatch: building ${e.what} (scratch database ${e.database}) in ${e.target}`);
    else if (e.type === 'retry')
      say(
        `pgpatch: building ${e.what} failed (${e.error}); the other build, running at the same time on the same server's roles, can cause this kind of error, so it is built again, alone`,
      );
    else if (e.type === 'leftover')
      say(
        `pgpatch: warning: could not drop the scratch database${e.databases.length === 1 ? '' : 's'} ${e.databases.join(', ')} (${e.error}): drop ${e.databases.length === 1 ? 'it' : 'them'} by hand`,
      );
    // \echo goes to stderr: stdout is the result (and must stay JSON with --json).
    else if (e.type === 'echo') printScript({ ...e, stream: 'stderr' });
    else if (e.type !== 'notice') printScript(e);
  };
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
