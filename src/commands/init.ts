/**
 * `pgpatch init`: scaffolds schema/database.sql, users.sql, <app>.sql, patches/ and pgpatch.mk.
 * Existing files are never overwritten; they are listed as skipped.
 */
import type { Command } from 'commander';
import { EXIT } from '../errors';
import { action, globals, paths, say } from './common';

interface Flags {
  app: string;
  makefile: boolean;
}

export function register(program: Command): void {
  program
    .command('init')
    .description('scaffold the schema folder (database.sql, users.sql, <app>.sql, patches/) and pgpatch.mk; never overwrites')
    .option('--app <name>', 'name of the app: its role, its schema and its <app>.sql', 'myapp')
    .option('--no-makefile', 'print the Makefile snippet instead of writing pgpatch.mk')
    .action(
      action(async (_opts: unknown, cmd: Command) => {
        const flags = globals(cmd) as ReturnType<typeof globals> & Flags;
        const { projectDir, schemaDir, patchesDir } = paths(flags);
        const { scaffold } = await import('../engine/authoring/init.js');
        const r = scaffold({ projectDir, schemaDir, patchesDir, app: flags.app, makefile: flags.makefile });
        if (flags.json) {
          const { printJson } = await import('../output/json.js');
          printJson({ written: r.written, skipped: r.skipped, ...(flags.makefile ? {} : { makefile: r.makefile }) });
          return EXIT.ok;
        }
        const { displayPath } = await import('../output/text.js');
        for (const f of r.written) process.stdout.write(`created ${displayPath(f)}\n`);
        for (const f of r.skipped) process.stdout.write(`skipped ${displayPath(f)} (exists, left as it is)\n`);
        if (!flags.makefile) {
          process.stdout.write(`\n# ${displayPath(r.makefile!.path)}\n${r.makefile!.content}`);
        } else if (r.written.includes(r.makefile!.path)) {
          say(`pgpatch: add "include ${displayPath(r.makefile!.path)}" to your Makefile for make migrate, makemigrations, ...`);
        }
        if (r.written.length === 0) say('pgpatch: nothing to do: every file exists');
        return EXIT.ok;
      }),
    );
}
