/**
 * `pgpatch testdb`: keep the template database the target names (or --template names on its
 * server) equal to the schema files plus the patches, rebuilding it only when they changed; test
 * databases are cloned from it. Exit 0 when it is current (as it was, or built); 2 for a database
 * testdb did not make; 5 when another run or connected sessions kept it busy past --wait.
 */
import type { Command } from 'commander';
import { EXIT, UsageError } from '../errors';
import { parseVariableFlags } from '../settings';
import { action, collect, globals, paths, target } from './common';

interface Flags {
  template?: string;
  rebuild?: boolean;
  wait: string;
  set: string[];
}

export function register(program: Command): void {
  program
    .command('testdb')
    .description(
      'keep a template database (the one the target names, created when missing) equal to the schema files plus the patches, ' +
        'rebuilt only when they changed, for test databases cloned from it (Django: TEST = {"TEMPLATE": ...})',
    )
    .option('--template <name>', "the template's name on the target's server (default: the target's own database)")
    .option('--rebuild', 'rebuild it even when nothing changed')
    .option('--wait <seconds>', 'how long to wait for another testdb run, or for sessions connected to the template', '300')
    .option('-v, --set <name=value>', 'set a psql variable for the schema files (repeatable)', collect, [])
    .action(
      action(async (_opts: unknown, cmd: Command) => {
        const flags = globals(cmd) as ReturnType<typeof globals> & Flags;
        const waitMs = Number(flags.wait) * 1000;
        if (!Number.isFinite(waitMs) || waitMs < 0) throw new UsageError(`--wait expects seconds, got "${flags.wait}"`);
        if (flags.embedded && !flags.template)
          throw new UsageError('with --embedded, name the template: --template myapp_template (the embedded database is yours to work in)');
        const p = paths(flags);
        const t = await target(flags);
        const { testdb } = await import('../engine/testdb/testdb.js');
        const { renderTestdb, testdbEventPrinter } = await import('../output/testdb.js');
        const result = await testdb({
          target: t,
          templateName: flags.template,
          entry: p.entry,
          patchesDir: p.patchesDir,
          recordSchema: flags.recordSchema,
          variables: parseVariableFlags(flags.set),
          waitMs,
          rebuild: flags.rebuild,
          onEvent: testdbEventPrinter(),
        });
        renderTestdb(result, flags);
        return EXIT.ok;
      }),
    );
}
