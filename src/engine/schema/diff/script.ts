/**
 * Changes as a SQL script: what `pgpatch diff` prints and what makemigrations puts in a draft.
 * Each change is preceded by comments saying what it answers when asked, what data it loses,
 * which lock it takes, and any rename it may stand for.
 */
import type { Change } from './change';

export interface ScriptOptions {
  /** Write the statements that lose data as comments, for a person to decide (makemigrations). */
  commentOutDataLoss?: boolean;
  /** A comment line naming the difference each change answers. */
  explain?: boolean;
}

export function changesAsSql(changes: Change[], options: ScriptOptions = {}): string {
  const blocks = changes.map((c) => {
    const lines: string[] = [];
    if (options.explain) lines.push(`-- ${c.answers}`);
    if (c.dataLoss) lines.push(`-- DATA LOSS: ${c.dataLoss}${options.commentOutDataLoss ? ' (commented out: remove the -- to run it)' : ''}`);
    if (c.note) lines.push(`-- NOTE: ${c.note}`);
    if (c.hazard) lines.push(`-- LOCK: ${c.hazard}`);
    const off = options.commentOutDataLoss && c.dataLoss;
    for (const s of c.sql) lines.push(...(off ? s.split('\n').map((l) => `-- ${l}`) : [s]));
    return lines.join('\n');
  });
  return blocks.length ? `${blocks.join('\n\n')}\n` : '';
}
