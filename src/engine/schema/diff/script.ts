/**
 * Changes as a SQL script: what `pgpatch diff` prints and what makemigrations puts in a draft.
 * Each change is preceded by comments saying what it answers when asked, what data it loses,
 * which lock it takes, and any rename it may stand for.
 */
import type { Change } from './change';

export interface ScriptOptions {
  /** Write the statements that lose data as comments, for a person to decide (`diff --safe`, makemigrations). */
  commentOutDataLoss?: boolean;
  /** A comment line naming the difference each change answers. */
  explain?: boolean;
}

export function changesAsSql(changes: Change[], options: ScriptOptions = {}): string {
  const blocks = changes.map((c) => {
    const lines: string[] = [];
    if (options.explain) lines.push(`-- ${c.answers}`);
    if (c.dataLoss)
      lines.push(`-- DATA LOSS: ${c.dataLoss}${options.commentOutDataLoss ? ' (commented out: remove the -- to run it)' : ''}`);
    if (c.note) lines.push(`-- NOTE: ${c.note}`);
    if (c.hazard) lines.push(`-- LOCK: ${c.hazard}`);
    const off = options.commentOutDataLoss && c.dataLoss;
    for (const s of c.sql) lines.push(...(off ? s.split('\n').map((l) => `-- ${l}`) : [s]));
    return lines.join('\n');
  });
  if (!blocks.length) return '';
  // As adopt's database.sql and pg_dump: a function body may name what is created after it (its
  // body is not in pg_depend, so no order follows from it); it is checked when it runs instead.
  if (changes.some((c) => c.sql.some((s) => /^create (or replace )?(function|procedure)\b/.test(s)))) {
    blocks.unshift(
      '-- function bodies are checked when they run: a body may name what is created after it\nset check_function_bodies = off;',
    );
    blocks.push('reset check_function_bodies;');
  }
  return `${blocks.join('\n\n')}\n`;
}
