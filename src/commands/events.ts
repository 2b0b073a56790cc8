/** Prints what a running script says: notices and warnings to stderr, \echo to stdout. */
import type { ScriptEvent } from '../engine/script/execute';
import { formatLocation, formatNotice } from '../output/text';

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
