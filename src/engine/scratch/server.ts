/**
 * The scratch server a command builds on: the one the settings name (`--scratch-url`,
 * PGPATCH_SCRATCH_URL), else the project's embedded server, started when a command needs it.
 */
import type { ScratchChoice, Target } from '../../target';

export interface ScratchServer {
  target: Target;
  /** The embedded server was started for this (it was not running). */
  started?: boolean;
}

/** `ifRunning`: only a server that is there already (the makemigrations draft starts none); else undefined. */
export async function openScratchServer(choice: ScratchChoice, options: { ifRunning?: boolean } = {}): Promise<ScratchServer | undefined> {
  if ('target' in choice) return { target: choice.target };
  const { existsSync } = await import('node:fs');
  const { projectDataDir, startCluster } = await import('../embedded.js');
  const dataDir = projectDataDir(choice.embedded);
  if (options.ifRunning && !existsSync(dataDir)) return undefined;
  const cluster = await startCluster({ dataDir });
  return { target: cluster.target, started: cluster.started };
}

/** The scratch server's target, opened as `openScratchServer` does; `onStarted` hears when the embedded one had to be started. */
export async function scratchTarget(choice: ScratchChoice, onStarted?: () => void): Promise<Target> {
  const server = (await openScratchServer(choice))!;
  if (server.started) onStarted?.();
  return server.target;
}
