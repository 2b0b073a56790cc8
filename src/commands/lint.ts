/**
 * `pgpatch lint [NAME...]`: squawk's lock-hazard rules over patches as migrate will run them.
 * Default: the pending patches of the target (read-only), or every patch when no target is
 * given. Exit 1 on error-level findings (or a patch migrate would refuse), so CI can gate on it.
 */
import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { EXIT, NoTargetError } from '../errors';
import type { PatchFile } from '../engine/patches/files';
import { parseVariableFlags } from '../settings';
import { action, collect, globals, paths, say, target, type GlobalFlags } from './common';

interface LintFlags {
  all?: boolean;
  exclude: string[];
  enable: string[];
  pgVersion?: string;
  set: string[];
}

export function register(program: Command): void {
  program
    .command('lint')
    .description('check patches for lock hazards with squawk, as they will run (includes expanded, in or outside a transaction)')
    .argument('[names...]', 'patches by name, unique prefix or file (default: the pending patches; every patch without a target)')
    .option('--all', 'every patch, applied or not')
    .option('--exclude <rule>', 'turn a squawk rule off (repeatable, or comma-separated); adds to .squawk.toml', collect, [])
    .option('--enable <rule>', "turn on one of squawk's opt-in rules (repeatable)", collect, [])
    .option('--pg-version <version>', 'the PostgreSQL version the patches will run on, for version-aware rules (e.g. 15)')
    .option('-v, --set <name=value>', 'set a psql variable for the patches (repeatable)', collect, [])
    .action(
      action(async (names: string[], _o: unknown, cmd: Command) => {
        const flags = globals(cmd) as GlobalFlags & LintFlags;
        const p = paths(flags);
        const patches = await choosePatches(names, flags, p);
        const { lintPatches } = await import('../engine/authoring/lint/lint.js');
        const config = join(p.projectDir, '.squawk.toml');
        const result = await lintPatches({
          patches,
          compile: { variables: parseVariableFlags(flags.set) },
          exclude: flags.exclude
            .flatMap((r) => r.split(','))
            .map((r) => r.trim())
            .filter(Boolean),
          include: flags.enable,
          configFile: existsSync(config) ? config : undefined,
          pgVersion: flags.pgVersion,
        });
        if (flags.json) {
          const { printJson } = await import('../output/json.js');
          printJson(result);
        } else {
          const { formatLint } = await import('../output/lint.js');
          process.stdout.write(formatLint(result, flags.verbose).join('\n') + '\n');
        }
        return result.errors > 0 ? EXIT.answerNo : EXIT.ok;
      }),
    );
}

async function choosePatches(names: string[], flags: GlobalFlags & LintFlags, p: ReturnType<typeof paths>): Promise<PatchFile[]> {
  const { findPatches } = await import('../engine/patches/files.js');
  if (names.length) {
    const { lookupPatch } = await import('../engine/authoring/sqlmigrate.js');
    return names.map((n) => (isFile(n) ? fileAsPatch(n, p.patchesDir, findPatches) : lookupPatch(p.patchesDir, n).patch));
  }
  const all = findPatches(p.patchesDir);
  if (flags.all) return all;
  let t;
  try {
    t = (await target(flags, say)).target;
  } catch (e) {
    if (!(e instanceof NoTargetError)) throw e;
    say('pgpatch: no target database given: linting every patch (give --dsn or DATABASE_URL to lint only the pending ones)');
    return all;
  }
  const { pendingPatchNames } = await import('../engine/authoring/lint/pending.js');
  const pending = await pendingPatchNames({
    target: t,
    patchesDir: p.patchesDir,
    recordSchema: flags.recordSchema,
    checksumCache: p.checksumCache,
  });
  return all.filter((x) => pending.has(x.name));
}

function isFile(name: string): boolean {
  return name.endsWith('.sql') && existsSync(name) && statSync(name).isFile();
}

/** A file given by path: the patch of that name when it is one, else the file on its own. */
function fileAsPatch(path: string, patchesDir: string, findPatches: (dir: string) => PatchFile[]): PatchFile {
  const full = resolve(path);
  const known = findPatches(patchesDir).find((x) => x.path === full);
  return known ?? { name: basename(full).replace(/\.sql$/, ''), path: full, relativePath: path, pre: [], post: [] };
}
