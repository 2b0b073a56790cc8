/** `adopt`'s result: the files written (stdout), what was left out and the record (stderr). */
import type { AdoptResult } from '../engine/schema/adopt/adopt';
import type { Target } from '../target';
import { printJson } from './json';
import { announceTarget, printLines, say } from './terminal';
import { displayPath } from './text';

export function announceAdopt(t: Target): void {
  announceTarget('adopting (its record goes there too)', t.display);
}

export function renderAdopt(r: AdoptResult, o: { json?: boolean }): void {
  if (o.json) {
    printJson(r);
    return;
  }
  const verb = r.dryRun ? 'would write' : 'wrote';
  printLines(
    r.files.map((f) => {
      const note = r.existing.includes(f.path) ? (r.dryRun ? ' (exists)' : ' (overwritten)') : '';
      return `${verb} ${displayPath(f.path)}: ${f.summary}${note}`;
    }),
  );
  if (r.squawkConfig) printLines([`${verb} ${displayPath(r.squawkConfig)}: lint's rules for a pgpatch project (squawk)`]);
  for (const t of r.leftOut) say(`pgpatch: left out table ${t} (Django's migration history; --keep-django-migrations keeps it)`);
  for (const n of r.notCarried) say(`pgpatch: not carried over: ${n.object}: ${n.reason}`);
  if (r.mainOwner) say(`pgpatch: most objects are owned by ${r.mainOwner}: load the files as that role`);
  if (r.record === 'created') say(`pgpatch: created ${r.recordSchema}.schema_patch, empty: the next patch is the first`);
  else if (r.record) say(`pgpatch: ${r.recordSchema}.schema_patch was there already (${r.record}): left as it is`);
  else if (!r.dryRun) say('pgpatch: --no-record: the database has no schema_patch; create it with pgpatch migrate --assume-applied');
}
