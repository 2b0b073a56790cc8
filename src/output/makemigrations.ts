/** `makemigrations`' results: the patch written (its path on stdout) or shown, its draft and diff; `--check`'s answer. */
import { describeReason } from '../engine/git';
import type { CheckResult, MakeMigrationResult } from '../engine/authoring/makemigrations';
import { printJson } from './json';
import { print, printLines, say } from './terminal';
import { displayPath } from './text';

export function renderMigrationsCheck(r: CheckResult, o: { json?: boolean; patchesDir: string }): void {
  if (o.json) printJson(r);
  else if (r.ok) {
    say(
      r.schemaFiles.length
        ? `pgpatch: ${r.schemaFiles.length} schema file(s) changed against ${r.base.ref}, with ${r.newPatches.length} new patch(es): ok`
        : `pgpatch: no schema file changed against ${r.base.ref}: ok`,
    );
  } else {
    say(`pgpatch: schema files changed against ${r.base.ref} without a new patch in ${displayPath(o.patchesDir)}:`);
    printLines(r.schemaFiles.map((f) => f.path));
    say('  hint: write one with "pgpatch makemigrations NAME" (or --empty if the change needs no SQL)');
  }
}

export function renderMakeMigration(r: MakeMigrationResult, o: { json?: boolean; schemaDir: string }): void {
  if (r.noDraft === 'no-scratch-server')
    say('pgpatch: note: no scratch server to build the schema files on (--scratch-url or PGPATCH_SCRATCH_URL), so the patch has no draft');
  else if (r.noDraft === 'build-failed') say(`pgpatch: note: the draft could not be made (${r.draftError}), so the patch has none`);
  else if (r.draft) {
    say(
      `pgpatch: draft: ${r.draft.changes} change${r.draft.changes === 1 ? '' : 's'}${r.draft.commentedOut ? `, ${r.draft.commentedOut} commented out because they destroy data` : ''}${r.draft.hazards ? `, ${r.draft.hazards} with a lock note` : ''}: read it before you run it`,
    );
  }
  if (r.git && r.noDiff === 'git-unavailable') {
    say(`pgpatch: note: ${describeReason(r.git.reason, r.git.dir)}, so the patch has no diff (${r.git.hint})`);
  } else if (r.noDiff === 'schema-outside-work-tree') {
    say(`pgpatch: note: ${displayPath(o.schemaDir)} is outside the git work tree, so the patch has no diff`);
  }
  if (o.json) printJson(r);
  else if (r.written) {
    if (r.diff)
      say(
        `pgpatch: ${r.diff.files.length} schema file(s) changed against ${r.diff.base.ref}${r.diff.truncated ? ` (diff cut at ${r.diff.lines} lines)` : ''}`,
      );
    printLines([displayPath(r.path)]);
  } else {
    say(`pgpatch: would write ${displayPath(r.path)}`);
    print(r.content);
  }
}
