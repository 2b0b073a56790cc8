/** `pgpatch embedded start|stop|url`: the project's local PostgreSQL, for trying things out. */
import type { Command } from 'commander';
import { UsageError } from '../errors';
import { action, embedded, globals, paths } from './common';

export function register(program: Command): void {
  program
    .command('embedded')
    .description('start, stop or show the local PostgreSQL kept in .pgpatch/ (the one --embedded uses)')
    .argument('<action>', 'start | stop | url')
    .action(
      action(async (what: string, _opts: unknown, cmd: Command) => {
        const flags = globals(cmd);
        const { print, say } = await import('../output/terminal.js');
        if (what === 'start' || what === 'url') {
          const db = await embedded(flags, { quiet: what === 'url' });
          print(db.url + '\n');
          return 0;
        }
        if (what === 'stop') {
          const { stopEmbedded } = await import('../engine/embedded.js');
          await stopEmbedded(paths(flags).projectDir);
          say('pgpatch: stopped the embedded PostgreSQL');
          return 0;
        }
        throw new UsageError(`unknown action "${what}": use start, stop or url`);
      }),
    );
}
