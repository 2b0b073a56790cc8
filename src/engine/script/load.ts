/**
 * `load`: run a psql script (by default the schema entry file) against a database.
 * A database that already has objects of its own or a record of patches is refused before
 * anything runs, unless `force` (or `confirmNotEmpty` says yes): a `drop schema ... cascade` at
 * the top of a schema file must not empty a database by accident. With `record`, a load into a
 * database without a record writes the baseline migrate's first run writes. A connection through
 * a pooler in transaction mode is refused first, as migrate refuses it: there a script's
 * `set search_path` would not reach its next statement (tables landed in `public`), and would
 * stay on a server connection for another client.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DatabaseNotEmptyError, PatchInvalidError, UsageError } from '../../errors';
import { recordBaseline } from '../patches/baseline';
import { databaseContents, isEmpty, type DatabaseContents } from '../patches/emptiness';
import { findPatches, type PatchFile } from '../patches/files';
import { recordExists } from '../patches/recorder';
import { connect, defaultApplicationName, type Session, type SessionOptions, type Target } from '../db';
import { refuseTransactionPooler } from '../patches/pooler';
import { executeInTransaction } from './commit';
import { compileScript, type Step } from './compile';
import { executeSteps, type ScriptEvent } from './execute';
import { planTransaction } from './transactions';
import { scriptContext } from './context';

export interface LoadOptions extends SessionOptions {
  target: Target;
  entry: string;
  includeRoot?: string;
  variables?: Record<string, string>;
  /** Like psql -1: all of it or nothing, in one transaction pgpatch opens and commits. */
  singleTransaction?: boolean;
  onEvent?: (event: ScriptEvent) => void;
  /** Load into a database that has objects of its own or a record (default: refuse it, before anything runs). */
  force?: boolean;
  /** Asked, when given, about a database that is not empty: true loads anyway (a terminal's question). */
  confirmNotEmpty?: (found: NotEmpty) => Promise<boolean>;
  /** Where the record is (default `public`): looked for before the load, written after it with `record`. */
  recordSchema?: string;
  /**
   * After the load, when the database still has no record: record every patch of this folder
   * `assumed`, as migrate's first run does (pass it when the file is the schema entry).
   */
  record?: { patchesDir: string };
}

/** What makes a database not empty: objects of its own, a record of patches, or both. */
export interface NotEmpty {
  database: string;
  contents: DatabaseContents;
  record: boolean;
}

export interface LoadResult {
  entry: string;
  /** The target with its password masked. */
  target: string;
  files: string[];
  statements: number;
  rowsCopied: number;
  durationMs: number;
  /** Set when the load wrote the baseline: every patch present recorded `assumed`. */
  recorded?: { schema: string; assumed: number };
}

export async function loadScript(options: LoadOptions): Promise<LoadResult> {
  const started = performance.now();
  const applicationName = options.applicationName ?? defaultApplicationName();
  const session = await connect(options.target, { applicationName });
  try {
    await refuseTransactionPooler(session, options.target, `${applicationName} (pooler check)`, 'load');
    // As migrate does: a killed client is noticed within seconds even mid-statement (14+), so
    // a transaction it had open (-1, or the script's own BEGIN) is rolled back at once.
    await session.query(`set client_connection_check_interval = '2s'`).catch(() => undefined);
    const script = compileScript(options.entry, { includeRoot: options.includeRoot, ...(await scriptContext(session, options.variables)) });
    const recordSchema = options.recordSchema ?? 'public';
    // Read now: a broken patches folder stops the load before it runs.
    const patches: PatchFile[] | undefined = options.record ? findPatches(options.record.patchesDir) : undefined;
    // Bad input first, then the question about the database: nothing has run yet.
    if (options.singleTransaction) await refuseIfCannotWrap(script.entry, script.steps);
    if (!options.force) await refuseIfNotEmpty(session, recordSchema, options);
    const run = options.singleTransaction
      ? await executeInTransaction(session, script.steps, script.entry, { onEvent: options.onEvent })
      : await executeSteps(session, script.steps, { onEvent: options.onEvent });
    // Not when the file made a record of its own (a pg_dump of a database that had one), nor
    // when it left a transaction open (ending the session rolls it back, as psql's exit does).
    const baseline = patches && session.transactionStatus() === 'I' && !(await recordExists(session, recordSchema));
    if (baseline) {
      await session.query('begin');
      await recordBaseline(session, recordSchema, patches);
      await session.query('commit');
    }
    return {
      entry: script.entry,
      target: options.target.display,
      files: script.files,
      statements: run.statements,
      rowsCopied: run.rowsCopied,
      durationMs: Math.round(performance.now() - started),
      ...(baseline && { recorded: { schema: recordSchema, assumed: patches.length } }),
    };
  } finally {
    // Ending the session rolls back a transaction the script left open, as psql's exit does.
    await session.end();
  }
}

async function refuseIfNotEmpty(session: Session, recordSchema: string, options: LoadOptions): Promise<void> {
  const contents = await databaseContents(session);
  const record = await recordExists(session, recordSchema);
  if (isEmpty(contents) && !record) return;
  const database = options.target.display;
  if (options.confirmNotEmpty && (await options.confirmNotEmpty({ database, contents, record }))) return;
  const objects = contents.schemas + contents.relations + contents.functions + contents.types;
  throw new DatabaseNotEmptyError(database, objects, contents.examples, record);
}

/**
 * For -1, the whole script runs in one transaction (one message when it can be): an error
 * anywhere leaves the database as it was. A script with its own transaction control, or a
 * statement that cannot run in a transaction, is refused here, before anything runs (psql -1
 * would run it and fail half-way).
 */
async function refuseIfCannotWrap(entry: string, steps: Step[]): Promise<void> {
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
}
