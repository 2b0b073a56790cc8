/** Prints what a running script says: notices and warnings to stderr, \echo to stdout; and migrate's lock waits. */
import type { ScriptEvent } from '../engine/script/execute';
import type { StatementLockWaitEvent } from '../engine/migrate/lock-waits';
import { formatBlocker, formatLocation, formatNotice } from './text';

export function scriptEventPrinter(): (event: ScriptEvent) => void {
  return (event) => {
    if (event.type === 'echo') {
      (event.stream === 'stdout' ? process.stdout : process.stderr).write(event.text + '\n');
    } else if (event.type === 'warning') {
      process.stderr.write(`${formatLocation(event.location, false)}: warning: ${event.message}\n`);
    } else {
      process.stderr.write(formatNotice(event.notice, event.location) + '\n');
    }
  };
}

/** A patch statement waiting for a lock: who holds it (stderr, while migrate waits). */
export function statementLockWaitLines(e: StatementLockWaitEvent, timeoutMs: number | undefined): string[] {
  const until = timeoutMs
    ? `; it fails at the statement lock timeout (${timeoutMs} ms)`
    : '; it waits as long as it takes (--statement-lock-timeout sets a limit)';
  return [
    `pgpatch: ${e.patch} has waited ${(e.waitedMs / 1000).toFixed(1)} s for ${e.lock}${until}. Held by:`,
    ...e.blockers.map((b) => `  ${formatBlocker(b)}`),
  ];
}
