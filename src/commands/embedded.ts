/** `pgpatch embedded start|stop|url`: the project's local PostgreSQL, for trying things out. */
import type { Command } from 'commander';
import { UsageError } from '../errors';
import { action, embeddedDatabase, globals, paths, say } from './common';

export function register(program: Command): void {
  program
    .command('embedded')
    .description('start, stop or show the local PostgreSQL kept in .pgpatch/ (the one --embedded uses)')
    .argument('<action>', 'start | stop | url')
    .action(
      action(async (what: string, _opts: unknown, cmd: Command) => {
        const flags = globals(cmd);
        const { projectDir } = paths(flags);
        const { projectDataDir, startCluster } = await import('../engine/embedded.js');
        if (what === 'start' || what === 'url') {
          const url = await embeddedDatabase(projectDir, flags.embeddedDb, what === 'start' ? say : () => undefined);
          process.stdout.write(url + '\n');
          return 0;
        }
        if (what === 'stop') {
          const cluster = await startCluster({ dataDir: projectDataDir(projectDir) });
          await cluster.stop();
          say('pgpatch: stopped the embedded PostgreSQL');
          return 0;
        }
        throw new UsageError(`unknown action "${what}": use start, stop or url`);
      }),
    );
}
