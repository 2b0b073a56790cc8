/**
 * `pgpatch check`: do the patches and the schema files describe the same database?
 * Exit 0 when they agree, 1 with the differences, 2 when something could not be built.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors';
import { parseVariableFlags, realPaths, resolveTarget, type FleetFlags } from '../settings';
import { abortOnSignals, action, collect, fleet, fleetOptions, globals, isFleet, paths, scratch, type GlobalFlags } from './common';

interface CheckFlags {
  base?: string;
  scratchUrl?: string;
  live?: boolean;
  strict?: boolean;
  ignoreOwners?: boolean;
  set: string[];
}

export function register(program: Command): void {
  const command = program
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
    .option('-v, --set <name=value>', 'set a psql variable (repeatable)', collect, []);
  fleetOptions(command).action(
    action(async (_o: unknown, cmd: Command) => {
      const flags = globals(cmd) as GlobalFlags & CheckFlags & FleetFlags;
      if (flags.embedded)
        throw new UsageError('check builds its scratch databases on the embedded server by default; --embedded has no meaning here');
      const many = isFleet(flags);
      if (many && flags.base) throw new UsageError('--base compares patches; a fleet is compared live, and takes no base');
      const live = !many && (flags.dsn || flags.live) ? resolveTarget({ dsn: flags.dsn }) : undefined;
      if (live && flags.base) throw new UsageError('--base compares patches; a live comparison (--dsn, --live) takes no base');
      const p = realPaths(paths(flags));
      const f = many ? await fleet(flags) : undefined;
      const { say } = await import('../output/terminal.js');
      const interrupt = abortOnSignals(() => say('pgpatch: interrupted: dropping the scratch databases'));
      if (f) {
        const { checkFleet } = await import('../engine/fleet/check.js');
        const { fleetEventPrinter, renderFleetCheck } = await import('../output/fleet.js');
        const result = await checkFleet({
          fleet: f.spec,
          jobs: f.run.jobs,
          projectRoot: p.projectDir,
          schemaDir: p.schemaDir,
          entry: p.entry,
          patchesDir: p.patchesDir,
          scratch: scratch(flags.scratchUrl, flags),
          recordSchema: flags.recordSchema,
          variables: parseVariableFlags(flags.set),
          strict: flags.strict,
          ignoreOwners: flags.ignoreOwners,
          onEvent: fleetEventPrinter(),
          signal: interrupt.signal,
        }).finally(interrupt.dispose);
        renderFleetCheck(result, flags);
        return result.exitCode;
      }
      const { check } = await import('../engine/schema/check/check.js');
      const { checkEventPrinter, renderCheck } = await import('../output/check.js');
      const result = await check({
        projectRoot: p.projectDir,
        schemaDir: p.schemaDir,
        entry: p.entry,
        patchesDir: p.patchesDir,
        scratch: scratch(flags.scratchUrl, flags),
        live,
        baseRef: flags.base,
        recordSchema: flags.recordSchema,
        variables: parseVariableFlags(flags.set),
        strict: flags.strict,
        ignoreOwners: flags.ignoreOwners,
        onEvent: checkEventPrinter(),
        signal: interrupt.signal,
      }).finally(interrupt.dispose);
      renderCheck(result, flags);
      return result.ok ? 0 : 1;
    }),
  );
}
