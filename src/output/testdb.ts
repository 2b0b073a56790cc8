/** `testdb`'s result (stdout: the template's state) and what it says while it works (stderr). */
import type { Change, TestdbEvent, TestdbResult } from '../engine/testdb/testdb';
import { serverVersion } from '../engine/testdb/fingerprint';
import { scriptEventPrinter } from './events';
import { printJson } from './json';
import { printLines, say } from './terminal';

export function renderTestdb(r: TestdbResult, o: { json?: boolean }): void {
  if (o.json) {
    printJson(r);
    return;
  }
  const what = `${r.statements} statement${r.statements === 1 ? '' : 's'} of the schema files, ${r.patches} patch${r.patches === 1 ? '' : 'es'}`;
  if (r.state === 'current') {
    printLines([`${r.template} is current: built ${when(r.built)} from ${what}, on PostgreSQL ${serverVersion(r.server)}`]);
    return;
  }
  const reasons = r.changed.map((c) => reason(c, r)).join('; ');
  printLines([`${r.state} ${r.template}: ${reasons} (${what}, in ${((r.buildMs ?? 0) / 1000).toFixed(1)} s)`]);
}

function reason(c: Change, r: TestdbResult): string {
  switch (c) {
    case 'missing':
      return 'it was missing';
    case 'schema':
      return 'the schema files changed';
    case 'patches':
      return 'the patches changed';
    case 'server':
      return `it was built on PostgreSQL ${serverVersion(r.previous!.server)}, this server is PostgreSQL ${serverVersion(r.server)}`;
    case 'pgpatch':
      return `it was built by pgpatch ${r.previous!.pgpatch}`;
    case 'rebuild':
      return '--rebuild';
  }
}

/** An ISO time as `2026-12-04 21:40:05` (UTC). */
function when(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

export function testdbEventPrinter(): (e: TestdbEvent) => void {
  const printScript = scriptEventPrinter();
  return (e) => {
    if (e.type === 'building') say(`pgpatch: building the template ${e.where} (in ${e.database}, renamed when done)`);
    else if (e.type === 'lock-wait') {
      const h = e.holders[0];
      say(
        `pgpatch: another testdb run is building ${e.template}${h ? ` (pid ${h.pid}, ${h.applicationName}, since ${h.backendStart})` : ''}: waiting for it`,
      );
    } else if (e.type === 'sessions-wait')
      say(
        `pgpatch: waiting for ${e.sessions.length} session${e.sessions.length === 1 ? '' : 's'} connected to ${e.template} to leave (${e.sessions
          .map((s) => `pid ${s.pid}, ${s.applicationName || 'no application_name'}, user ${s.user}`)
          .join('; ')}): a connected session keeps the new template from taking its name`,
      );
    else if (e.type === 'dropped') say(`pgpatch: dropped ${e.databases.join(', ')}, left by a testdb run that was stopped`);
    else if (e.type === 'echo') printScript({ ...e, stream: 'stderr' });
    else printScript(e);
  };
}
