/** `load`: run a psql script (by default the schema entry file) against a database. */
import { performance } from 'node:perf_hooks';
import { connect, describeTarget, type SessionOptions, type Target } from './db';
import { compileScript } from './script/compile';
import { executeSteps, type ScriptEvent } from './script/execute';

export interface LoadOptions extends SessionOptions {
  target: Target;
  entry: string;
  includeRoot?: string;
  variables?: Record<string, string>;
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

export async function loadScript(options: LoadOptions): Promise<LoadResult> {
  const started = performance.now();
  const session = await connect(options.target, options);
  try {
    const facts = await session.query<Record<'scs' | 'DBNAME' | 'USER' | 'PORT' | 'HOST', string>>(
      `select current_setting('standard_conforming_strings') as scs, current_database() as "DBNAME",
              current_user as "USER", current_setting('port') as "PORT",
              coalesce(host(inet_server_addr()), 'localhost') as "HOST"`);
    const { scs, ...psqlVariables } = facts.rows[0];
    // psql sets these for every script; schema files use them (grant connect on database :"DBNAME").
    const variables = { ...psqlVariables, ...options.variables };
    const script = compileScript(options.entry, {
      includeRoot: options.includeRoot,
      variables,
      standardConformingStrings: scs === 'on',
    });
    const run = await executeSteps(session, script.steps, { onEvent: options.onEvent });
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
