/** `pgpatch diff`'s output: the SQL script (text), or the statements with what each answers (JSON). */
import type { DiffResult } from '../engine/schema/diff/diff';
import { changesAsSql } from '../engine/schema/diff/script';

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
