/**
 * The try command's one engine call: the patch a name means, tried on the target (or, with
 * `scratch`, on a database built for it), once or again on every save.
 */
import { existsSync, statSync, watch as fsWatch } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from '../../../errors';
import type { ScratchChoice, Target } from '../../../target';
import { findPatches } from '../../patches/files';
import { lookupPatch } from '../../patches/lookup';
import { exportBaseTree } from '../../scratch/base-tree';
import type { CompileOptions } from '../../script/compile';
import { tryOnScratch } from './scratch';
import { planTry, tryPatch, type TryEvent, type TryResult } from './try';

export interface TryRunOptions {
  /** A patch name, unique prefix, or file (any `.sql` file). */
  name: string;
  patchesDir: string;
  schemaDir: string;
  entry: string;
  recordSchema?: string;
  compile?: CompileOptions;
  /** The database to try it on, in a transaction rolled back; without it, a scratch database built from `base`. */
  target?: () => Promise<Target>;
  /** Where scratch databases go (the schema files for the comparison, and the database of `onScratch`). */
  scratch: ScratchChoice;
  /** Try it on a scratch database: the schema files at this base (default: check's) plus the patches since. */
  onScratch?: { base?: string };
  /** Compare the result with the schema files. */
  compareWithFiles: boolean;
  /** PostgreSQL's lock_timeout for the patch's statements, in ms (default: try's 2 s; 0: none). */
  statementLockTimeoutMs?: number;
  onEvent?: (e: TryEvent) => void;
}

/** One try. A patch try would refuse (it commits) is refused before any server is started or reached. */
export async function tryRun(options: TryRunOptions): Promise<TryResult> {
  const patch = lookupPatch(findPatches(options.patchesDir), options.patchesDir, options.name, { anyFile: true });
  const common = {
    patch,
    entry: options.entry,
    recordSchema: options.recordSchema,
    compile: options.compile,
    statementLockTimeoutMs: options.statementLockTimeoutMs,
    onEvent: options.onEvent,
  };
  if (options.onScratch) {
    if (options.target) throw new UsageError('--scratch runs the patch on a database of its own: give no --dsn or --embedded');
    const base = await exportBaseTree(options.schemaDir, options.onScratch.base, 'try --scratch');
    try {
      return await tryOnScratch({
        ...common,
        base,
        patchesDir: options.patchesDir,
        scratch: options.scratch,
        compareWithFiles: options.compareWithFiles,
      });
    } finally {
      await base.cleanup();
    }
  }
  await planTry(patch, options.compile);
  if (!options.target) throw new UsageError('try needs a target database (or --scratch)');
  return tryPatch({ ...common, target: await options.target(), scratch: options.compareWithFiles ? options.scratch : undefined });
}

/** What one run of a watched try gave: its result, or the error that stopped it (the watch goes on). */
export type WatchedRun = { patch: string } & ({ result: TryResult; error?: undefined } | { error: unknown; result?: undefined });

/**
 * `try --watch`: runs now and again after every change of the patch's folder or the schema
 * folder (where includes usually live), never two at once: changes during a run start one more
 * after it. An error of one run is handed to `onRun` like a result, and the watch goes on.
 * Returns only when the process is stopped (Ctrl-C); each run's transaction is rolled back by then.
 */
export async function watchTry(options: TryRunOptions, onRun: (run: WatchedRun) => void): Promise<never> {
  const patch = lookupPatch(findPatches(options.patchesDir), options.patchesDir, options.name, { anyFile: true });
  const target = options.target ? await options.target() : undefined;
  const once = { ...options, target: target && (async () => target) };
  let running = false;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  const go = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    do {
      again = false;
      try {
        onRun({ patch: patch.name, result: await tryRun(once) });
      } catch (error) {
        onRun({ patch: patch.name, error });
      }
    } while (again);
    running = false;
  };
  for (const path of [dirname(patch.path), options.schemaDir]) {
    if (!existsSync(path)) continue;
    // Editors save in bursts (write, rename, chmod): one run per burst.
    fsWatch(path, { recursive: statSync(path).isDirectory() }, () => {
      clearTimeout(timer);
      timer = setTimeout(() => void go(), 150);
    });
  }
  await go();
  return new Promise<never>(() => undefined);
}
