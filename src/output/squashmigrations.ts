/** `squashmigrations`' result: each move (stdout), what stays and why (stderr). */
import type { SquashResult } from '../engine/authoring/squashmigrations';
import { printJson } from './json';
import { printLines, say } from './terminal';
import { displayPath } from './text';

export function renderSquash(r: SquashResult, o: { json?: boolean; before?: string }): void {
  if (o.json) {
    printJson(r);
    return;
  }
  if (!r.recordFound) say(`pgpatch: ${r.target} has no ${r.recordSchema}.schema_patch table: no patch counts as applied`);
  printLines(
    r.moves.flatMap((m) => m.files.map((f) => `${r.dryRun ? 'would move' : 'moved'} ${displayPath(f.from)} -> ${displayPath(f.to)}`)),
  );
  for (const m of r.moves.filter((x) => x.relativeIncludes)) {
    say(`pgpatch: note: ${m.name} includes files by relative path; from its new folder, "sqlmigrate --expand" needs --include-root`);
  }
  const count = (reason: string) => r.stays.filter((s) => s.reason === reason).length;
  for (const s of r.stays.filter((x) => x.reason === 'undated')) {
    say(`pgpatch: left ${displayPath(s.path)}: its name does not start with a date (YYYY-MM-DD)`);
  }
  const left = ['pending', 'failed', 'applying', 'too-recent', 'undated', 'in-place', 'not-a-patch']
    .map((reason) => [reason, count(reason)] as const)
    .filter(([, n]) => n > 0)
    .map(
      ([reason, n]) =>
        `${n} ${reason === 'too-recent' ? `not before ${o.before}` : reason === 'in-place' ? 'already archived' : reason === 'not-a-patch' ? `not ${n === 1 ? 'a patch' : 'patches'}` : reason}`,
    );
  const files = r.moves.reduce((n, m) => n + m.files.length, 0);
  const how = r.dryRun
    ? ''
    : r.via.git && r.via.rename
      ? ` (${r.via.git} with git mv)`
      : r.via.git
        ? ' with git mv'
        : r.moves.length
          ? ' (not in git: renamed)'
          : '';
  say(
    `pgpatch: ${r.dryRun ? 'would move' : 'moved'} ${r.moves.length} patch(es), ${files} file(s)${how}${left.length ? `; left ${left.join(', ')}` : ''}`,
  );
}
