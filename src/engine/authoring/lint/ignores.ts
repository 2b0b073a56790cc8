/**
 * squawk's ignore comments, read from the patch's own files: squawk only sees the statements
 * pgpatch writes for it, so the comments have to be carried over or applied here.
 * - `-- squawk-ignore rule[, rule]` on the lines just above a statement: copied above it in
 *   squawk's file, where squawk applies it itself.
 * - `-- squawk-ignore-file [rule, ...]` anywhere in a file: applied here, to the statements of
 *   that file only (squawk would apply it to the whole expanded patch).
 */
import { readFileSync } from 'node:fs';

const IGNORE_LINE = /^\s*--\s*squawk-ignore(?!-file)\b/;
const IGNORE_FILE = /^\s*--\s*squawk-ignore-file\b(.*)$/gm;

/**
 * The `-- squawk-ignore` lines in the comment block right above the statement that starts at
 * `start` (an offset in `text`). Walks back line by line from there, so a long file costs only
 * the lines above each statement's comments.
 */
export function ignoreCommentsAbove(text: string, start: number): string[] {
  const found: string[] = [];
  // lastIndexOf with a negative start still looks at offset 0: guard both ends by hand.
  let end = start > 0 ? text.lastIndexOf('\n', start - 1) : -1;
  while (end >= 0) {
    const begin = end > 0 ? text.lastIndexOf('\n', end - 1) + 1 : 0;
    const l = text.slice(begin, end).trim();
    end = begin - 1;
    if (l === '') continue;
    if (!l.startsWith('--')) break;
    if (IGNORE_LINE.test(l)) found.unshift(l);
  }
  return found;
}

/** The rules a file ignores for all its statements: `all` when the comment names none. */
export function fileIgnores(path: string): Set<string> | 'all' | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  if (!text.includes('squawk-ignore-file')) return undefined;
  const rules = new Set<string>();
  for (const m of text.matchAll(IGNORE_FILE)) {
    const named = m[1].split(/[\s,]+/).filter(Boolean);
    if (named.length === 0) return 'all';
    named.forEach((r) => rules.add(r));
  }
  return rules;
}
