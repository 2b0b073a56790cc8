/**
 * `pgpatch try NAME`: runs a patch in a transaction that is always rolled back, on the target,
 * and shows what it locked, rewrote and built, what it changed, and whether the database then
 * matches the schema files. Exit 0 when it ran, 3 when it failed (rolled back either way), 2
 * when it was refused (it would commit).
 */
import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { EXIT, UsageError } from '../errors';
import type { TryResult } from '../engine/authoring/try/try';
import type { BaseTree } from '../engine/schema/check/base-tree';
import type { ScriptEvent } from '../engine/script/execute';
import type { PathSettings } from '../settings';
import type { PatchFile } from '../engine/patches/files';
import { parseVariableFlags } from '../settings';
import { action, collect, embeddedScratchServer, globals, paths, say, target, type GlobalFlags } from './common';
import { scriptEventPrinter } from './events';

interface TryFlags {
  watch?: boolean;
  scratch?: boolean;
  base?: string;
  scratchUrl?: string;
  schemaFiles: boolean;
  set: string[];
}

export function register(program: Command): void {
  program
    .command('try')
    .description(
      'run a patch on the target in a transaction that is always rolled back, and show its locks, rewrites, changes and whether the schema files now match',
    )
    .argument('<name>', 'patch name, unique prefix, or file')
    .option(
      '--scratch',
      'run it on a scratch database built from the schema files at --base and the patches since (dropped after), not on the target: for patches that commit',
    )
    .option(
      '--base <ref>',
      'with --scratch: the commit the patches start from (default: as check, the merge base with origin/HEAD, main or master)',
    )
    .option(
      '--scratch-url <url>',
      'a server where the schema files may be built for the comparison (default: PGPATCH_SCRATCH_URL, else the embedded server)',
    )
    .option('--no-schema-files', 'do not compare the result with the schema files')
    .option('--watch', 'run it again on every save of the patch or of the schema files (Ctrl-C to stop)')
    .option('-v, --set <name=value>', 'set a psql variable for the patch (repeatable)', collect, [])
    .action(
      action(async (name: string, _o: unknown, cmd: Command) => {
        const flags = globals(cmd) as GlobalFlags & TryFlags;
        const p = paths(flags);
        const patch = await findPatch(name, p.patchesDir);
        const printScript = scriptEventPrinter();
        const common = {
          patch,
          entry: p.entry,
          recordSchema: flags.recordSchema,
          compile: { variables: parseVariableFlags(flags.set) },
          onEvent: (e: ScriptEvent) => printScript(e.type === 'echo' ? { ...e, stream: 'stderr' } : e),
        };
        const scratchServer = async () =>
          flags.scratchUrl ?? process.env.PGPATCH_SCRATCH_URL ?? (await embeddedScratchServer(p.projectDir));
        if (flags.scratch && (flags.dsn || flags.embedded))
          throw new UsageError('--scratch runs the patch on a database of its own: give no --dsn or --embedded');
        // Refused before any server is started or reached.
        if (!flags.scratch) await (await import('../engine/authoring/try/try.js')).planTry(patch, common.compile);
        const t = flags.scratch ? undefined : (await target(flags, say)).target;
        const scratchUrl = flags.scratch || flags.schemaFiles ? await scratchServer() : undefined;
        const once = async (): Promise<number> => {
          let result: TryResult;
          if (!t) {
            result = await withBaseTree(p, flags.base, async (base) => {
              const { tryOnScratch } = await import('../engine/authoring/try/scratch.js');
              return tryOnScratch({
                ...common,
                base,
                patchesDir: p.patchesDir,
                scratchUrl: scratchUrl!,
                schemaFilesUrl: flags.schemaFiles ? scratchUrl : undefined,
              });
            });
          } else {
            const { tryPatch } = await import('../engine/authoring/try/try.js');
            result = await tryPatch({ ...common, target: t, scratchUrl });
          }
          return show(result, flags);
        };
        if (!flags.watch) return once();
        await watch([dirname(patch.path), p.schemaDir], async () => {
          try {
            await once();
          } catch (e) {
            const { formatError } = await import('../output/text.js');
            process.stderr.write(formatError(e, flags.verbose).join('\n') + '\n');
          }
          say(`pgpatch: watching ${patch.name} and the schema files; Ctrl-C to stop`);
        });
        return EXIT.ok;
      }),
    );
}

async function show(result: TryResult, flags: GlobalFlags): Promise<number> {
  if (flags.json) {
    const { printJson, errorToJson } = await import('../output/json.js');
    printJson({ ...result, error: result.error ? errorToJson(result.error) : undefined });
  } else {
    const { formatTry } = await import('../output/try.js');
    process.stdout.write(formatTry(result).join('\n') + '\n');
  }
  if (!result.error) return EXIT.ok;
  const { formatError } = await import('../output/text.js');
  process.stderr.write(formatError(result.error, flags.verbose).join('\n') + '\n');
  return result.error.exitCode;
}

/**
 * Runs `run` now and again after every change under `paths` (the patch and the schema folder,
 * where includes usually live), never two at once: changes during a run start one more after
 * it. Returns only when the process is stopped (Ctrl-C); each run's transaction is already
 * rolled back by then.
 */
async function watch(paths: string[], run: () => Promise<void>): Promise<never> {
  const { watch: fsWatch } = await import('node:fs');
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
      await run();
    } while (again);
    running = false;
  };
  for (const path of paths) {
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

async function findPatch(name: string, patchesDir: string): Promise<PatchFile> {
  const full = resolve(name);
  if (name.endsWith('.sql') && existsSync(full) && statSync(full).isFile()) {
    const { findPatches } = await import('../engine/patches/files.js');
    return (
      findPatches(patchesDir).find((x) => x.path === full) ?? {
        name: basename(full, '.sql'),
        path: full,
        relativePath: name,
        pre: [],
        post: [],
      }
    );
  }
  const { lookupPatch } = await import('../engine/authoring/sqlmigrate.js');
  return lookupPatch(patchesDir, name).patch;
}

/** The schema folder at `ref` (default: check's base) in a temporary folder, removed after. */
async function withBaseTree<T>(p: PathSettings, ref: string | undefined, fn: (base: BaseTree) => Promise<T>): Promise<T> {
  const { exportBaseTree } = await import('../engine/schema/check/base-tree.js');
  const tree = await exportBaseTree(p.schemaDir, ref, 'try --scratch');
  try {
    return await fn(tree);
  } finally {
    await tree.cleanup();
  }
}
