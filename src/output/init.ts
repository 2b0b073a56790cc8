/** `init`'s result: the files created and skipped, and the Makefile snippet. */
import type { ScaffoldResult } from '../engine/authoring/init';
import { printJson } from './json';
import { print, printLines, say } from './terminal';
import { displayPath } from './text';

export function renderInit(r: ScaffoldResult, o: { json?: boolean; makefile: boolean; django?: boolean }): void {
  if (o.json) {
    printJson({
      written: r.written,
      skipped: r.skipped,
      ...(r.toInclude ? { toInclude: r.toInclude } : {}),
      ...(o.makefile ? {} : { makefile: r.makefile }),
    });
    return;
  }
  printLines([
    ...r.written.map((f) => `created ${displayPath(f)}`),
    ...r.skipped.map((f) => `skipped ${displayPath(f)} (exists, left as it is)`),
  ]);
  if (!o.makefile) {
    print(`\n# ${displayPath(r.makefile!.path)}\n${r.makefile!.content}`);
  } else if (r.written.includes(r.makefile!.path)) {
    say(`pgpatch: add "include ${displayPath(r.makefile!.path)}" to your Makefile for make migrate, makemigrations, ...`);
  }
  if (r.toInclude) {
    say(`pgpatch: ${displayPath(r.toInclude)} is not included yet: add "\\i django.sql" to database.sql, before the app's tables`);
  }
  if (o.django && r.written.length) {
    say(`pgpatch: Django: add 'pgpatch_django' to INSTALLED_APPS and set DATABASES as pgpatch's README says ("For Django teams")`);
  }
  if (r.written.length === 0) say('pgpatch: nothing to do: every file exists');
}
