/**
 * Decides from the parse tree how a patch runs, so that it and its record commit together:
 * - `wrapped`: no transaction control of its own; we run it inside BEGIN ... COMMIT.
 * - `own`: one BEGIN and one COMMIT last, with at most session settings (SET, RESET) before the
 *   BEGIN (`set lock_timeout = '5s'; BEGIN; ... COMMIT;`, as lock linters advise); its record is
 *   written just before that COMMIT.
 * - `none`: cannot run in one transaction (CREATE INDEX CONCURRENTLY, several transactions,
 *   or `-- pgpatch: no-transaction`); runs as written, recorded `applying` before and
 *   `applied` after, `failed` with the stage when it breaks.
 */
import { PatchInvalidError } from '../../errors';
import { classify, isSessionSetting, loadParser, type StatementClass } from '../parser';
import type { Step } from './compile';

export type TransactionMode = 'wrapped' | 'own' | 'none';

export interface TransactionPlan {
  mode: TransactionMode;
  /** Why, in a few words, for --plan and JSON output. */
  reason: string;
  /** For `own`: index in the steps of the final COMMIT. */
  commitIndex?: number;
}

/**
 * Every statement that is not `ordinary` for `classify` contains one of these words (its first
 * keyword, CONCURRENTLY, or the object it acts on). A statement without any of them anywhere,
 * even in a string or a comment, needs no parse: most DDL skips the parser's cost this way.
 */
const MAY_MATTER =
  /\b(begin|start|commit|end|rollback|abort|savepoint|release|prepare|concurrently|reindex|vacuum|cluster|database|system|tablespace|subscription)\b/i;

/** Whether the parser is needed for these steps: loading it costs ~50-65 ms. */
function needsParser(steps: Step[]): boolean {
  return steps.some((s) => s.kind === 'sql' && MAY_MATTER.test(s.text));
}

function classifyStep(text: string): StatementClass[] {
  return MAY_MATTER.test(text) ? classify(text) : ['ordinary'];
}

export const NO_TRANSACTION_DIRECTIVE = /^\s*--\s*pgpatch:\s*no-transaction\b/m;

/** The plan of a script; loads the parser only when a statement may control transactions. */
export async function planTransaction(patchName: string, text: string, steps: Step[]): Promise<TransactionPlan> {
  if (needsParser(steps)) await loadParser();
  if (NO_TRANSACTION_DIRECTIVE.test(text)) return { mode: 'none', reason: 'marked -- pgpatch: no-transaction' };
  const statements: Array<{ index: number; cls: StatementClass }> = [];
  steps.forEach((step, index) => {
    if (step.kind === 'sql') for (const cls of classifyStep(step.text)) statements.push({ index, cls });
    else if (step.kind === 'copy') statements.push({ index, cls: 'ordinary' });
  });
  const count = (c: StatementClass) => statements.filter((s) => s.cls === c).length;
  const where = (c: StatementClass) => {
    const s = statements.find((x) => x.cls === c);
    const step = s && steps[s.index];
    return step && (step.kind === 'sql' || step.kind === 'copy') ? step.file.locate(step.start) : undefined;
  };
  if (count('no_transaction')) return { mode: 'none', reason: 'has a statement that cannot run in a transaction' };
  if (count('other_transaction_control')) return { mode: 'none', reason: 'uses COMMIT AND CHAIN or prepared transactions' };
  const begins = count('begin');
  const commits = count('commit');
  const rollbacks = count('rollback');
  if (begins === 0 && commits === 0 && rollbacks === 0) return { mode: 'wrapped', reason: 'run in a transaction by pgpatch' };
  const last = statements[statements.length - 1];
  const begin = statements.findIndex((s) => s.cls === 'begin');
  const before = statements.slice(0, Math.max(0, begin));
  const settingsFirst = before.every((s) => {
    const step = steps[s.index];
    return step.kind === 'sql' && isSessionSetting(step.text);
  });
  if (begins === 1 && commits === 1 && rollbacks === 0 && settingsFirst && last.cls === 'commit') {
    return {
      mode: 'own',
      reason: before.length ? 'session settings, then its own BEGIN ... COMMIT' : 'its own BEGIN ... COMMIT',
      commitIndex: last.index,
    };
  }
  if (begins === 1 && commits === 0 && last.cls === 'rollback') {
    throw new PatchInvalidError(
      patchName,
      `patch ${patchName} ends with ROLLBACK: applying it would change nothing`,
      where('rollback'),
      'replace the final ROLLBACK with COMMIT once the patch does what you want',
    );
  }
  if (begins > commits + rollbacks) {
    throw new PatchInvalidError(
      patchName,
      `patch ${patchName} opens a transaction with BEGIN and never commits it`,
      where('begin'),
      'add COMMIT; at the end of the patch',
    );
  }
  // The reason says what the patch does, as it is shown in --plan.
  if (begins > 1) return { mode: 'none', reason: 'several transactions' };
  if (begins === 0)
    return { mode: 'none', reason: `${commits ? 'COMMIT' : 'ROLLBACK'} without BEGIN: runs as written, statement by statement` };
  return { mode: 'none', reason: 'statements outside its BEGIN ... COMMIT: runs as written, statement by statement' };
}
