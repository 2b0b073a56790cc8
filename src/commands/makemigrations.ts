/**
 * `pgpatch makemigrations NAME`: a new patch with the git diff of the schema files as comments and
 * a draft of its statements (built in scratch databases and compared; --no-draft: none).
 * `pgpatch makemigrations --check [--base REF]`: for CI, exit 1 when schema files changed
 * without a new patch.
 */
import type { Command } from 'commander';
import { EXIT, UsageError } from '../errors';
import { action, globals, paths, say } from './common';

interface Flags {
  base?: string;
  empty?: boolean;
  dryRun?: boolean;
  check?: boolean;
  template?: string;
  draft: boolean;
  scratchUrl?: string;
}

export function register(program: Command): void {
  program
    .command('makemigrations')
    .description(
      'write a new patch schema/patches/<today>_<name>.sql, with the git diff of the schema files as comments and a draft of its statements',
    )
    .argument('[name]', 'what the patch does, in a few words (becomes the file name: add_book_isbn)')
    .option('--base <ref>', 'diff the working tree against the merge base with REF (e.g. main) instead of HEAD')
    .option('--empty', 'no diff in the patch')
    .option('--dry-run', 'print the patch instead of writing it')
    .option('--check', 'exit 1 when schema files changed against --base (default HEAD) and no new patch came with them')
    .option('--no-draft', 'no draft statements: only the diff as comments')
    .option(
      '--scratch-url <url>',
      'a server where pgpatch may create and drop databases, to build the schema files for the draft (default: PGPATCH_SCRATCH_URL, else the embedded server of the project if it has one)',
    )
    .option('--template <file>', 'patch template (default: <schema-dir>/patch-template.sql, then the built-in one)')
    .action(
      action(async (name: string | undefined, _opts: unknown, cmd: Command) => {
        const flags = globals(cmd) as ReturnType<typeof globals> & Flags;
        const { schemaDir, patchesDir, entry, projectDir } = paths(flags);
        if (flags.check) {
          if (name !== undefined || flags.empty || flags.dryRun)
            throw new UsageError('--check takes no NAME, --empty or --dry-run: it only checks');
          const { checkMigrations } = await import('../engine/authoring/makemigrations.js');
          const r = await checkMigrations({ schemaDir, patchesDir, base: flags.base });
          if (flags.json) {
            const { printJson } = await import('../output/json.js');
            printJson(r);
          } else if (r.ok) {
            say(
              r.schemaFiles.length
                ? `pgpatch: ${r.schemaFiles.length} schema file(s) changed against ${r.base.ref}, with ${r.newPatches.length} new patch(es): ok`
                : `pgpatch: no schema file changed against ${r.base.ref}: ok`,
            );
          } else {
            say(`pgpatch: schema files changed against ${r.base.ref} without a new patch in ${await shown(patchesDir)}:`);
            for (const f of r.schemaFiles) process.stdout.write(`${f.path}\n`);
            say('  hint: write one with "pgpatch makemigrations NAME" (or --empty if the change needs no SQL)');
          }
          return r.ok ? EXIT.ok : EXIT.answerNo;
        }
        if (name === undefined) throw new UsageError('makemigrations needs a NAME: what the patch does, e.g. add_book_isbn');
        const { makeMigration } = await import('../engine/authoring/makemigrations.js');
        const draft = flags.draft && !flags.empty ? { entry, scratchUrl: await draftServer(flags.scratchUrl, projectDir) } : undefined;
        const r = await makeMigration({
          name,
          schemaDir,
          patchesDir,
          base: flags.base,
          empty: flags.empty,
          dryRun: flags.dryRun,
          template: flags.template,
          draft,
        });
        if (r.noDraft === 'no-scratch-server')
          say(
            'pgpatch: note: no scratch server to build the schema files on (--scratch-url or PGPATCH_SCRATCH_URL), so the patch has no draft',
          );
        else if (r.noDraft === 'build-failed') say(`pgpatch: note: the draft could not be made (${r.draftError}), so the patch has none`);
        else if (r.draft) {
          say(
            `pgpatch: draft: ${r.draft.changes} change${r.draft.changes === 1 ? '' : 's'}${r.draft.commentedOut ? `, ${r.draft.commentedOut} commented out because they destroy data` : ''}${r.draft.hazards ? `, ${r.draft.hazards} with a lock note` : ''}: read it before you run it`,
          );
        }
        if (r.git && r.noDiff === 'git-unavailable') {
          const { describeReason } = await import('../engine/git.js');
          say(`pgpatch: note: ${describeReason(r.git.reason, r.git.dir)}, so the patch has no diff (${r.git.hint})`);
        } else if (r.noDiff === 'schema-outside-work-tree') {
          say(`pgpatch: note: ${await shown(schemaDir)} is outside the git work tree, so the patch has no diff`);
        }
        if (flags.json) {
          const { printJson } = await import('../output/json.js');
          printJson(r);
        } else if (r.written) {
          if (r.diff)
            say(
              `pgpatch: ${r.diff.files.length} schema file(s) changed against ${r.diff.base.ref}${r.diff.truncated ? ` (diff cut at ${r.diff.lines} lines)` : ''}`,
            );
          process.stdout.write(`${await shown(r.path)}\n`);
        } else {
          say(`pgpatch: would write ${await shown(r.path)}`);
          process.stdout.write(r.content);
        }
        return EXIT.ok;
      }),
    );
}

/** The flag, PGPATCH_SCRATCH_URL, or the project's embedded server if it has one (none is started for a draft). */
async function draftServer(flag: string | undefined, projectDir: string): Promise<string | undefined> {
  if (flag ?? process.env.PGPATCH_SCRATCH_URL) return flag ?? process.env.PGPATCH_SCRATCH_URL;
  const { existsSync } = await import('node:fs');
  const { projectDataDir } = await import('../engine/embedded.js');
  if (!existsSync(projectDataDir(projectDir))) return undefined;
  const { scratchServer } = await import('./common.js');
  return scratchServer(undefined, projectDir);
}

async function shown(path: string): Promise<string> {
  const { displayPath } = await import('../output/text.js');
  return displayPath(path);
}
