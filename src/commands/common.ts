/** What every command shares: global flags, the target, and the signals that stop a command. */
import type { Command } from 'commander';
import { UsageError } from '../errors';
import type { EmbeddedDatabase } from '../engine/embedded';
import { resolvePaths, resolveScratch, resolveTarget, type PathSettings } from '../settings';
import type { ScratchChoice, Target } from '../target';

export interface GlobalFlags {
  dsn?: string;
  embedded?: boolean;
  embeddedDb: string;
  schemaDir?: string;
  patchesDir?: string;
  json?: boolean;
  recordSchema: string;
  verbose?: boolean;
}

export function globals(cmd: Command): GlobalFlags {
  return cmd.optsWithGlobals() as GlobalFlags;
}

export function paths(flags: GlobalFlags & { entry?: string }): PathSettings {
  return resolvePaths(flags);
}

/**
 * The target database, resolved once; with `--embedded`, the project's local server is started
 * (or reused) and shown, its database created (`fresh`: dropped and created anew, load --fresh).
 */
export async function target(flags: GlobalFlags, options: { fresh?: boolean } = {}): Promise<Target> {
  if (flags.dsn && flags.embedded) throw new UsageError('give either --dsn or --embedded, not both');
  const resolved = resolveTarget({ dsn: flags.dsn, embedded: flags.embedded });
  if (resolved) return resolved;
  return (await embedded(flags, options)).target;
}

/** The project's embedded server and its database, started when needed and shown. */
export async function embedded(flags: GlobalFlags, options: { fresh?: boolean; quiet?: boolean } = {}): Promise<EmbeddedDatabase> {
  const { startEmbedded } = await import('../engine/embedded.js');
  const db = await startEmbedded(resolvePaths(flags).projectDir, flags.embeddedDb, options);
  const { showEmbedded } = await import('../output/embedded.js');
  showEmbedded(db, options.quiet);
  return db;
}

/** Where scratch databases go: `--scratch-url`, PGPATCH_SCRATCH_URL, else the embedded server (started by the engine when needed). */
export function scratch(flag: string | undefined, flags: GlobalFlags): ScratchChoice {
  return resolveScratch(flag, resolvePaths(flags).projectDir);
}

/** The exit status of the command that ran; set by `action`, read by the CLI. */
export const outcome = { exitCode: 0 };

/** Wraps a command's action so that the exit status it returns reaches the CLI. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    outcome.exitCode = await fn(...args);
  };
}

/**
 * An AbortSignal that SIGINT or SIGTERM aborts (the engine cleans up and throws
 * InterruptedError, which the CLI turns into exit 130). `dispose` removes the handlers.
 */
export function abortOnSignals(onSignal: () => void = () => undefined): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handler = () => {
    if (controller.signal.aborted) return;
    onSignal();
    controller.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/** For repeatable options: `--fake a --fake b`. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
