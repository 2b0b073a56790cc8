/** `load`: run a psql script (by default the schema entry file) against a database. */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PatchInvalidError, UsageError } from '../../errors';
import { connect, describeTarget, type Session, type SessionOptions, type Target } from '../db';
import { executeInTransaction } from './commit';
import { compileScript, type Step } from './compile';
import { executeSteps, type ExecuteResult, type ScriptEvent } from './execute';
import { planTransaction } from './transactions';

export interface LoadOptions extends SessionOptions {
  target: Target;
  entry: string;
  includeRoot?: string;
  variables?: Record<string, string>;
  /** Like psql -1: all of it or nothing, in one transaction pgpatch opens and commits. */
  singleTransaction?: boolean;
  onEvent?: (event: ScriptEvent) => void;
}

export interface LoadResult {
  entry: string;
  /** The target with its password masked. */
  target: string;
  files: string[];
  statements: number;
  rowsCopied: number;
  durationMs: number;
}

/**
 * What psql gives every script it runs, read from the session: the variables DBNAME, USER, HOST
 * and PORT (schema files use them: grant connect on database :"DBNAME"), with the user's own on
 * top, and how the server reads backslashes in strings (standard_conforming_strings), which
 * decides where statements end. load and migrate (its first-run build and its patches) use it.
 */
export async function scriptContext(session: Session, own: Record<string, string> = {}): Promise<{ variables: Record<string, string>; standardConformingStrings: boolean }> {
  const facts = await session.query<Record<'scs' | 'DBNAME' | 'USER' | 'PORT' | 'HOST', string>>(
    `select current_setting('standard_conforming_strings') as scs, current_database() as "DBNAME",
            current_user as "USER", current_setting('port') as "PORT",
            coalesce(host(inet_server_addr()), 'localhost') as "HOST"`);
  const { scs, ...psqlVariables } = facts.rows[0];
  return { variables: { ...psqlVariables, ...own }, standardConformingStrings: scs === 'on' };
}

export async function loadScript(options: LoadOptions): Promise<LoadResult> {
  const started = performance.now();
  const session = await connect(options.target, options);
  try {
    // As migrate does: a killed client is noticed within seconds even mid-statement (14+), so
    // a transaction it had open (-1, or the script's own BEGIN) is rolled back at once.
    await session.query(`set client_connection_check_interval = '2s'`).catch(() => undefined);
    const script = compileScript(options.entry, { includeRoot: options.includeRoot, ...(await scriptContext(session, options.variables)) });
    const run = options.singleTransaction
      ? await runInOneTransaction(session, script.entry, script.steps, options)
      : await executeSteps(session, script.steps, { onEvent: options.onEvent });
    return {
      entry: script.entry,
      target: describeTarget(options.target),
      files: script.files,
      statements: run.statements,
      rowsCopied: run.rowsCopied,
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    // Ending the session rolls back a transaction the script left open, as psql's exit does.
    await session.end();
  }
}

/**
 * The whole script in one transaction (one message when it can be): an error anywhere leaves
 * the database as it was. A script with its own transaction control, or a statement that cannot
 * run in a transaction, is refused before anything runs (psql -1 would run it and fail half-way).
 */
async function runInOneTransaction(session: Session, entry: string, steps: Step[], options: LoadOptions): Promise<ExecuteResult> {
  let reason: string | undefined;
  try {
    const plan = await planTransaction(basename(entry), readFileSync(entry, 'utf8'), steps);
    if (plan.mode !== 'wrapped') reason = plan.reason;
  } catch (e) {
    if (!(e instanceof PatchInvalidError)) throw e;
    reason = e.message.replace(/^patch \S+ /, '');
  }
  if (reason) {
    throw new UsageError(`cannot load ${entry} in one transaction (${reason})`, { hint: 'load it without --single-transaction' });
  }
  return executeInTransaction(session, steps, entry, { onEvent: options.onEvent });
}
