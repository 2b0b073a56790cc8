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
  printLines([
    ...r.files.map((f) => {
      const note = r.existing.includes(f.path) ? (r.dryRun ? ' (exists)' : ' (overwritten)') : '';
      return `${verb} ${displayPath(f.path)}: ${f.summary}${note}`;
    }),
    ...r.patches.filter((p) => !p.existed).map((p) => `${verb} ${displayPath(p.path)}: ${p.summary}`),
  ]);
  if (r.squawkConfig) printLines([`${verb} ${displayPath(r.squawkConfig)}: lint's rules for a pgpatch project (squawk)`]);
  if (r.djangoApps.length) {
    printLines([
      "# settings.py: Django migrates nothing any more, for every app of django_migrations (pgpatch's patches change the schema)",
      migrationModules(r.djangoApps),
    ]);
  }
  for (const t of r.leftOut) say(`pgpatch: left out table ${t} (Django's migration history; --keep-django-migrations keeps it)`);
  for (const n of r.notCarried) say(`pgpatch: not carried over: ${n.object}: ${n.reason}`);
  if (r.mainOwner) say(`pgpatch: most objects are owned by ${r.mainOwner}: load the files as that role`);
  const first = r.patches.find((p) => p.path.endsWith('_drop_django_migrations.sql'));
  if (first && !r.dryRun)
    say(`pgpatch: the first patch, ${displayPath(first.path)}, drops django_migrations: commit it, then run pgpatch migrate here`);
  if (r.record === 'created') say(`pgpatch: created ${r.recordSchema}.schema_patch, empty: the next patch is the first`);
  else if (r.record) say(`pgpatch: ${r.recordSchema}.schema_patch was there already (${r.record}): left as it is`);
  else if (!r.dryRun) say('pgpatch: --no-record: the database has no schema_patch; create it with pgpatch migrate --assume-applied');
}

/** `MIGRATION_MODULES = {app: None for app in ('admin', ...)}`, as Python reads it (a one-app tuple has its comma). */
function migrationModules(apps: string[]): string {
  const labels = apps.map((a) => `'${a.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`);
  return `MIGRATION_MODULES = {app: None for app in (${labels.join(', ')}${labels.length === 1 ? ',' : ''})}`;
}
