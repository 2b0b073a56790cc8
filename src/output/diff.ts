/** `pgpatch diff`'s output: the SQL script (text), or the statements with what each answers (JSON). */
import type { DiffResult } from '../engine/schema/diff/diff';
import type { ReadSourceOptions } from '../engine/schema/diff/sources';
import { changesAsSql } from '../engine/schema/diff/script';
import { showScratchStarted } from './embedded';
import { printJson } from './json';
import { print, say } from './terminal';

/** The script on stdout (JSON: its statements with what each answers), and a line on stderr saying what differs. */
export function renderDiff(result: DiffResult, o: { json?: boolean; explain?: boolean; safe?: boolean }): void {
  if (o.json) printJson(diffToJson(result));
  else print(formatDiff(result, { explain: o.explain, safe: o.safe }));
  const n = result.changes.length;
  say(
    `pgpatch: ${n ? `${n} change${n === 1 ? '' : 's'} from ${result.from} to ${result.to}` : `${result.from} and ${result.to} have the same schema`}`,
  );
}

export function diffEventPrinter(): NonNullable<ReadSourceOptions['onEvent']> {
  return (e) => {
    if (e.type === 'building') say(`pgpatch: building ${e.what} (scratch database ${e.database})`);
    else if (e.type === 'scratch-started') showScratchStarted();
  };
}

/** The script; empty when the schemas are the same. `safe`: what loses data is written commented out. */
export function formatDiff(result: DiffResult, options: { explain?: boolean; safe?: boolean } = {}): string {
  return changesAsSql(result.changes, { explain: options.explain, commentOutDataLoss: options.safe });
}

export function diffToJson(result: DiffResult): Record<string, unknown> {
  return {
    from: result.from,
    to: result.to,
    same: result.changes.length === 0,
    statements: result.changes.map((c) => ({
      sql: c.sql.join('\n'),
      answers: c.answers,
      action: c.action,
      object: c.object,
      ...(c.dataLoss ? { dataLoss: c.dataLoss } : {}),
      ...(c.hazard ? { hazard: c.hazard } : {}),
      ...(c.note ? { note: c.note } : {}),
    })),
  };
}
