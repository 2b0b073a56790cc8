/** What every command shares: global flags, the target, and how results reach the terminal. */
import type { Command } from 'commander';
import { UsageError } from '../errors';
import { describeTarget } from '../connection-settings';
import type { Target } from '../engine/db';
import { resolvePaths, resolveTarget, type PathSettings } from '../settings';

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

export interface ResolvedTarget {
  target: Target;
  /** Set when the embedded server is used: its database URL. */
  embeddedUrl?: string;
}

/** The target database; with `--embedded`, starts (or reuses) the project's local server. */
export async function target(flags: GlobalFlags, say: (line: string) => void): Promise<ResolvedTarget> {
  if (flags.dsn && flags.embedded) throw new UsageError('give either --dsn or --embedded, not both');
  const resolved = resolveTarget({ dsn: flags.dsn, embedded: flags.embedded });
  if (resolved) return { target: resolved };
  const url = await embeddedDatabase(resolvePaths(flags).projectDir, flags.embeddedDb, say);
  return { target: { connectionString: url, source: '--embedded' }, embeddedUrl: url };
}

/** Starts (or reuses) the embedded server and says where its database is. */
export async function embeddedDatabase(projectDir: string, dbName: string, say: (line: string) => void): Promise<string> {
  const { startEmbedded } = await import('../engine/embedded.js');
  const { displayPath } = await import('../output/text.js');
  const db = await startEmbedded(projectDir, dbName);
  if (db.started) say(`pgpatch: started the embedded PostgreSQL (data in ${displayPath(db.dataDir)})`);
  say(`pgpatch: embedded database: ${describeTarget({ connectionString: db.url, source: '--embedded' })}`);
  return db.url;
}

/**
 * Says which database a command is about to change, before it changes anything: the
 * connection it resolves to (string, service file, PG* variables), password masked.
 */
export function announceTarget(doing: string, t: Target): void {
  say(`pgpatch: ${doing} ${describeTarget(t)}`);
}

/** The embedded server's URL, for scratch databases (check's builds, try's schema files). */
export async function embeddedScratchServer(projectDir: string): Promise<string> {
  const { projectDataDir, startCluster } = await import('../engine/embedded.js');
  const cluster = await startCluster({ dataDir: projectDataDir(projectDir) });
  if (cluster.started) say('pgpatch: started the embedded PostgreSQL for scratch databases');
  return cluster.url;
}

let lineOpen = false;

/** Messages go to stderr so that stdout stays clean for data (and `--json | jq`). */
export function say(line: string): void {
  closeLine();
  process.stderr.write(line + '\n');
}

/** Starts a progress line that a later `endLine` (or any message) finishes. */
export function startLine(text: string): void {
  closeLine();
  process.stderr.write(text);
  lineOpen = true;
}

export function endLine(text: string): void {
  process.stderr.write(text + '\n');
  lineOpen = false;
}

/** Ends a progress line left open, so that an error starts on a line of its own. */
export function closeLine(): void {
  if (lineOpen) process.stderr.write('\n');
  lineOpen = false;
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
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** A server where pgpatch may create and drop databases: the flag, PGPATCH_SCRATCH_URL, else the project's embedded server. */
export async function scratchServer(flag: string | undefined, projectDir: string): Promise<string> {
  if (flag ?? process.env.PGPATCH_SCRATCH_URL) return (flag ?? process.env.PGPATCH_SCRATCH_URL)!;
  const { projectDataDir, startCluster } = await import('../engine/embedded.js');
  const cluster = await startCluster({ dataDir: projectDataDir(projectDir) });
  if (cluster.started) say('pgpatch: started the embedded PostgreSQL for scratch databases');
  return cluster.url;
}
