/**
 * `pgpatch sqlmigrate NAME`: prints a patch as it is (the reference: "replaced by cat"), found by
 * full name or unique prefix. Its pre/post scripts are listed on stderr, so stdout is the patch.
 * `--expand` prints the statements as they would run, includes expanded.
 */
import type { Command } from 'commander';
import { EXIT } from '../errors';
import { parseVariableFlags } from '../settings';
import { action, globals, paths, say } from './common';

interface Flags {
  expand?: boolean;
  includeRoot?: string;
  set: string[];
}

export function register(program: Command): void {
  program
    .command('sqlmigrate')
    .description('print a patch, found by its name or a unique prefix; --expand follows its \\i includes')
    .argument('<name>', 'patch name (2026-03-01_add_isbn), or the start of one')
    .option('--expand', 'print the statements as they would run, includes expanded, each after a "-- file:line" comment')
    .option(
      '--include-root <dir>',
      'with --expand: folder that \\i paths are relative to (default: the folder of the patch, as migrate does)',
    )
    .option(
      '-v, --set <name=value>',
      'with --expand: set a psql variable, like psql -v (repeatable)',
      (v: string, prev: string[]) => [...prev, v],
      [],
    )
    .action(
      action(async (name: string, _opts: unknown, cmd: Command) => {
        const flags = globals(cmd) as ReturnType<typeof globals> & Flags;
        const { patchesDir } = paths(flags);
        const { lookupPatch, patchText, expandPatch, runPlanOf } = await import('../engine/authoring/sqlmigrate.js');
        const { displayPath } = await import('../output/text.js');
        const shown = lookupPatch(patchesDir, name);
        const compileOptions = { includeRoot: flags.includeRoot, variables: parseVariableFlags(flags.set) };
        const expanded = flags.expand ? expandPatch(shown.patch, compileOptions) : undefined;
        const run = await runPlanOf(shown.patch, compileOptions);
        if (flags.json) {
          const { printJson } = await import('../output/json.js');
          printJson({ ...shown, run, ...(expanded ? { statements: expanded } : { text: patchText(shown.patch).toString('utf8') }) });
          return EXIT.ok;
        }
        say(`-- ${displayPath(shown.patch.path)}`);
        say(`--   migrate runs it: ${describeRun(run)}`);
        for (const [when, hooks] of [
          ['pre', shown.pre],
          ['post', shown.post],
        ] as const) {
          for (const h of hooks)
            say(`--   ${when}: ${displayPath(h.path)}${h.executable ? '' : ' (not executable: it will fail when the patch runs)'}`);
        }
        if (!expanded) {
          process.stdout.write(patchText(shown.patch));
          return EXIT.ok;
        }
        const out: string[] = [];
        for (const s of expanded) {
          const at = s.file ? `${displayPath(s.file)}:${s.line}` : '';
          if (s.kind === 'sql') out.push(`-- ${at}\n${s.text}\n`);
          else if (s.kind === 'copy' && s.data !== undefined)
            out.push(`-- ${at}\n${/;\s*$/.test(s.text) ? s.text : `${s.text};`}\n${s.data}\\.\n`);
          else if (s.kind === 'copy') out.push(`-- ${at} (\\copy: rows from ${displayPath(s.dataFile!)})\n${s.text};\n`);
          else if (s.kind === 'echo') out.push(`-- \\echo ${s.text}\n`);
          else {
            out.push(`-- ${at}: warning: ${s.text}\n`);
            say(`${at}: warning: ${s.text}`);
          }
        }
        process.stdout.write(out.join('\n'));
        return EXIT.ok;
      }),
    );
}

/** How migrate runs the patch, in words (Django's sqlmigrate shows its BEGIN/COMMIT; this says it). */
function describeRun(run: { mode: string; reason: string; oneMessage: boolean }): string {
  const message = run.oneMessage ? ', sent as one message with its record row' : ', statement by statement';
  if (run.mode === 'wrapped') return `inside BEGIN ... COMMIT that pgpatch adds${message}`;
  if (run.mode === 'own') return `in its own BEGIN ... COMMIT, its record row written just before the COMMIT${message}`;
  if (run.mode === 'none') return `outside a transaction (${run.reason}): recorded applying, then applied or failed`;
  return `never: it is refused (${run.reason})`;
}
