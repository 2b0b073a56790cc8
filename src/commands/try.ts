/**
 * `pgpatch try NAME`: runs a patch in a transaction that is always rolled back, on the target,
 * and shows what it locked, rewrote and built, what it changed, and whether the database then
 * matches the schema files. Exit 0 when it ran, 3 when it failed (rolled back either way), 2
 * when it was refused (it would commit).
 */
import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { EXIT } from '../errors';
import type { PatchFile } from '../engine/patches/files';
import { parseVariableFlags } from '../settings';
import { action, collect, embeddedScratchServer, globals, paths, say, target, type GlobalFlags } from './common';
import { scriptEventPrinter } from './events';

interface TryFlags {
  scratchUrl?: string;
  schemaFiles: boolean;
  set: string[];
}

export function register(program: Command): void {
  program
    .command('try')
    .description('run a patch on the target in a transaction that is always rolled back, and show its locks, rewrites, changes and whether the schema files now match')
    .argument('<name>', 'patch name, unique prefix, or file')
    .option('--scratch-url <url>', 'a server where the schema files may be built for the comparison (default: PGPATCH_SCRATCH_URL, else the embedded server)')
    .option('--no-schema-files', 'do not compare the result with the schema files')
    .option('-v, --set <name=value>', 'set a psql variable for the patch (repeatable)', collect, [])
    .action(action(async (name: string, _o: unknown, cmd: Command) => {
      const flags = globals(cmd) as GlobalFlags & TryFlags;
      const p = paths(flags);
      const patch = await findPatch(name, p.patchesDir);
      const { target: t } = await target(flags, say);
      const scratchUrl = flags.schemaFiles ? flags.scratchUrl ?? process.env.PGPATCH_SCRATCH_URL ?? (await embeddedScratchServer(p.projectDir)) : undefined;
      const { tryPatch } = await import('../engine/authoring/try/run.js');
      const printScript = scriptEventPrinter();
      const result = await tryPatch({
        target: t, patch, entry: p.entry, scratchUrl, recordSchema: flags.recordSchema,
        compile: { variables: parseVariableFlags(flags.set) },
        onEvent: (e) => printScript(e.type === 'echo' ? { ...e, stream: 'stderr' } : e),
      });
      if (flags.json) {
        const { printJson, errorToJson } = await import('../output/json.js');
        printJson({ ...result, error: result.error ? errorToJson(result.error) : undefined });
      } else {
        const { formatTry } = await import('../output/try.js');
        process.stdout.write(formatTry(result).join('\n') + '\n');
      }
      if (result.error) {
        const { formatError } = await import('../output/text.js');
        process.stderr.write(formatError(result.error, flags.verbose).join('\n') + '\n');
        return result.error.exitCode;
      }
      return EXIT.ok;
    }));
}

async function findPatch(name: string, patchesDir: string): Promise<PatchFile> {
  const full = resolve(name);
  if (name.endsWith('.sql') && existsSync(full) && statSync(full).isFile()) {
    const { findPatches } = await import('../engine/patches/files.js');
    return findPatches(patchesDir).find((x) => x.path === full) ?? { name: basename(full, '.sql'), path: full, relativePath: name, pre: [], post: [] };
  }
  const { lookupPatch } = await import('../engine/authoring/sqlmigrate.js');
  return lookupPatch(patchesDir, name).patch;
}
