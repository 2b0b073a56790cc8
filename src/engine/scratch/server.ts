/**
 * The scratch server a command builds on: the one the settings name (`--scratch-url`,
 * PGPATCH_SCRATCH_URL), else the project's embedded server of the live database's major when
 * binaries of it can be found (see embedded.ts's scratchServerFor), started when a command
 * needs it.
 */
import type { ScratchChoice, Target } from '../../target';
import type { ScratchServer as EmbeddedScratch } from '../embedded';

export interface ScratchServer {
  target: Target;
  /** The embedded server was started for this (it was not running). */
  started?: boolean;
  /** The project's embedded scratch server (not one the settings name): which binaries, which major. */
  embedded?: EmbeddedScratch;
}

/** What a command hears about its scratch server: started for it, or chosen for the live database's major. */
export type ScratchServerEvent =
  { type: 'scratch-started'; server?: EmbeddedScratch } | { type: 'scratch-server'; server: EmbeddedScratch };

export interface OpenScratchOptions {
  /** Only a server that is there already (the makemigrations draft starts none); else undefined. */
  ifRunning?: boolean;
  /** The live database's major: the embedded scratch server is of that major where binaries of it can be found. */
  major?: number;
}

export async function openScratchServer(choice: ScratchChoice, options: OpenScratchOptions = {}): Promise<ScratchServer | undefined> {
  if ('target' in choice) return { target: choice.target };
  const { scratchServerFor } = await import('../embedded.js');
  const server = await scratchServerFor({ projectDir: choice.embedded, major: options.major, ifRunning: options.ifRunning });
  return server && { target: server.target, started: server.started, embedded: server };
}

/**
 * The scratch server's target, opened as `openScratchServer` does. `onEvent` hears when the
 * embedded one had to be started, and, when a major was asked for, which server was chosen.
 */
export async function scratchTarget(
  choice: ScratchChoice,
  onEvent?: (e: ScratchServerEvent) => void,
  options: Pick<OpenScratchOptions, 'major'> = {},
): Promise<Target> {
  const server = (await openScratchServer(choice, options))!;
  if (server.embedded && options.major !== undefined) onEvent?.({ type: 'scratch-server', server: server.embedded });
  if (server.started) onEvent?.({ type: 'scratch-started', server: server.embedded });
  return server.target;
}
