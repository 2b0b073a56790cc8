/**
 * The COMMIT pgpatch adds after a script it runs in one transaction (a wrapped patch, a schema
 * built in one transaction, `load --single-transaction`). Deferred constraints are checked
 * there, so its errors are the script's: reported at the script's end, like its own errors,
 * instead of as an internal error.
 */
import { readFileSync } from 'node:fs';
import { SqlError, type SourceLocation } from '../../errors';
import { isServerError, toServerMessage, type DatabaseError, type Session } from '../db';
import type { SqlStep, Step } from './compile';
import { canBatch, executeBatch, executeSteps, type ExecuteOptions, type ExecuteResult, type ExtraStatement } from './execute';

/**
 * Runs `steps` inside BEGIN ... COMMIT that pgpatch adds, as one message when they allow it
 * (canBatch), else statement by statement. `beforeBegin`: statements of pgpatch's sent in the same
 * message just before the BEGIN (migrate's session reset). `afterBegin` is a statement of
 * pgpatch's to run first in that transaction (migrate's statement lock timeout). `beforeCommit`
 * holds statements of pgpatch's to run last in that transaction (migrate's lock check and record
 * row): `statements` when batched, `run` otherwise.
 */
export async function executeInTransaction(
  session: Session,
  steps: Step[],
  file: string,
  options: ExecuteOptions & {
    beforeBegin?: ExtraStatement[];
    afterBegin?: ExtraStatement;
    beforeCommit?: { statements: ExtraStatement[]; run: () => Promise<unknown> };
  } = {},
): Promise<ExecuteResult> {
  const { beforeBegin = [], afterBegin, beforeCommit, ...execute } = options;
  if (canBatch(steps))
    return executeBatch(
      session,
      transactionBatch(steps, file, { beforeBegin, afterBegin, beforeCommit: beforeCommit?.statements }),
      execute,
    );
  // `beforeBegin` and `afterBegin` go with the BEGIN, in its message: no round trip of their own.
  await session.query([...beforeBegin.map((s) => s.sql), afterBegin ? `begin; ${afterBegin.sql}` : 'begin'].join('\n'));
  const run = await executeSteps(session, steps, execute);
  await beforeCommit?.run();
  await commitScript(session, file);
  return run;
}

/** The items of executeInTransaction's batch: BEGIN, `steps` with pgpatch's statements around them, COMMIT. */
export function transactionBatch(
  steps: SqlStep[],
  file: string,
  extra: { beforeBegin?: ExtraStatement[]; afterBegin?: ExtraStatement; beforeCommit?: ExtraStatement[] },
): Array<SqlStep | ExtraStatement> {
  return [
    ...(extra.beforeBegin ?? []),
    { sql: 'begin;' },
    ...(extra.afterBegin ? [extra.afterBegin] : []),
    ...steps,
    ...(extra.beforeCommit ?? []),
    { sql: 'commit;', onError: (e) => commitError(e, file) },
  ];
}

/** Sends that COMMIT on its own (when the script ran statement by statement). */
export async function commitScript(session: Session, file: string): Promise<void> {
  try {
    await session.query('commit');
  } catch (e) {
    throw isServerError(e) ? commitError(e, file) : e;
  }
}

/** The error of that COMMIT, placed at the script's end (also when it was sent in a batch). */
export function commitError(e: DatabaseError, file: string): SqlError {
  const server = toServerMessage(e);
  server.where = ['at the COMMIT that pgpatch runs after the last statement', server.where].filter(Boolean).join('\n');
  return new SqlError(server, 'COMMIT', endOf(file), undefined, [], undefined);
}

/** The last line of a file, for errors that belong to the whole script. */
export function endOf(file: string): SourceLocation {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // Reported at line 1.
  }
  const lines = text.replace(/\n+$/, '').split('\n').length;
  return { file, line: lines, column: 1 };
}
