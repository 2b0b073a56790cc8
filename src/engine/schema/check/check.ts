/**
 * `check`: do the patches and the schema files describe the same database?
 *
 * Builds two scratch databases and compares their catalogs:
 *   A: the schema files as they are now;
 *   B: the schema files as they were at the base commit, plus the patches added since,
 *      applied by the migrate engine.
 * With a live database instead of B, it reports drift: changes made outside the patches.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CheckBuildError, SqlError } from '../../../errors';
import { connect, describeTarget, ident, isServerError, withSession, type Target } from '../../db';
import { compareModels, inspectDatabase, qualifiedName, quoteName, type Difference, type SchemaModel } from '../inspect/index';
import { loadScript } from '../../script/load';
import { migrate } from '../../migrate/migrate';
import { checksumOf } from '../../patches/checksums';
import { findPatches } from '../../patches/files';
import { ensureRecord, writeRecords } from '../../patches/recorder';
import type { ScriptEvent } from '../../script/execute';

/** The schema folder as it was at a commit, written to a temporary folder. */
export interface BaseTree {
  /** What the user asked for (a ref) and the commit it resolved to. */
  ref: string;
  commit: string;
  /** The temporary copy of the project root at that commit (only the schema folder is there). */
  root: string;
  cleanup(): Promise<void>;
}

export interface CheckOptions {
  projectRoot: string;
  schemaDir: string;
  entry: string;
  patchesDir: string;
  /** A server where the tool may create and drop databases (its `postgres` database URL). */
  scratchUrl: string;
  /** Compare with this database instead of building B (drift). Read-only. */
  live?: Target;
  /** Builds B from here; required unless `live` is given. */
  base?: BaseTree;
  recordSchema?: string;
  variables?: Record<string, string>;
  /** Leave out differences of owner (a live database built by another role). */
  ignoreOwners?: boolean;
  /** Column order differences fail the check too. */
  strict?: boolean;
  onEvent?: (e: CheckEvent) => void;
  /** Registers a cleanup to run on Ctrl-C; returns a function that unregisters it. */
  onInterrupt?: (cleanup: () => Promise<void>) => () => void;
}

export type CheckEvent =
  | ScriptEvent
  /** A scratch database is about to be built; `database` is its name on the scratch server. */
  | { type: 'building'; what: string; database: string }
  /** A build failed while the other one ran: it is built again, alone, in a new database. */
  | { type: 'retry'; what: string; error: string }
  /** Scratch databases that could not be dropped (the server went away): drop them by hand. */
  | { type: 'leftover'; databases: string[]; error: string };

export interface CheckResult {
  mode: 'patches' | 'live';
  /** Describes what was compared, for people. */
  expected: string;
  actual: string;
  base?: { ref: string; commit: string; patchesAdded: string[] };
  differences: Difference[];
  /** Differences that fail the check (column order only with strict). */
  failing: number;
  ok: boolean;
}

export async function check(options: CheckOptions): Promise<CheckResult> {
  const emit = options.onEvent ?? (() => undefined);
  const prefix = `pgpatch_check_${randomBytes(4).toString('hex')}`;
  // Every name is listed before its CREATE DATABASE is sent, and dropping waits for a CREATE in
  // flight: a Ctrl-C that arrives while the server creates one must not leave it behind.
  const created: string[] = [];
  const creating = new Set<Promise<unknown>>();
  let stopped = false;
  const dropAll = async () => {
    stopped = true;
    await Promise.allSettled([...creating]);
    if (!created.length) return;
    const names = created.splice(0);
    const left: string[] = [];
    let error = '';
    await withSession({ connectionString: options.scratchUrl, source: 'scratch' }, async (s) => {
      for (const db of names) {
        try {
          await s.query(`drop database if exists ${ident(db)} with (force)`);
        } catch (e) {
          left.push(db);
          error ||= (e as Error).message;
        }
      }
    }).catch((e) => {
      for (const db of names) if (!left.includes(db)) left.push(db);
      error ||= (e as Error).message;
    });
    if (left.length) emit({ type: 'leftover', databases: left, error });
  };
  const unregister = options.onInterrupt?.(dropAll);
  try {
    const scratch = async (suffix: string, what: string): Promise<Target> => {
      if (stopped) throw new CheckBuildError(what, new Error('interrupted'));
      const name = `${prefix}_${suffix}`;
      created.push(name);
      emit({ type: 'building', what, database: name });
      const creation = withSession({ connectionString: options.scratchUrl, source: 'scratch' }, (s) => s.query(`create database ${ident(name)}`));
      creating.add(creation);
      try {
        await creation;
      } finally {
        creating.delete(creation);
      }
      const url = new URL(options.scratchUrl);
      url.pathname = `/${name}`;
      return { connectionString: url.toString(), source: 'scratch' };
    };
    const recordSchema = options.recordSchema ?? 'public';
    const buildA = async (suffix: string) => {
      const a = await scratch(suffix, 'the schema files');
      await build('the database from the schema files', () => loadScript({ target: a, entry: options.entry, variables: options.variables, onEvent: emit }));
      return { database: a, model: withoutRecord(await inspect(a), recordSchema) };
    };
    const buildB = async (suffix: string) => {
      if (!options.base) throw new Error('check needs a base tree or a live database');
      const b = await scratch(suffix, `the schema files at ${options.base.ref} and the patches since`);
      const rel = (p: string) => join(options.base!.root, relative(options.projectRoot, p));
      // A base that had no schema files yet: B is the patches alone.
      if (existsSync(rel(options.entry))) {
        await build(`the database from the schema files at ${options.base.ref}`, () => loadScript({ target: b, entry: rel(options.entry), variables: options.variables, onEvent: emit }));
      }
      const basePatches = findPatches(rel(options.patchesDir));
      await withSession(b, async (s) => {
        await ensureRecord(s, recordSchema);
        await writeRecords(s, recordSchema, basePatches.map((p) => ({ name: p.name, status: 'assumed', checksum: checksumOf(p.path) })));
      });
      const run = await build('the patches added since the base', () => migrate({
        target: b, patchesDir: options.patchesDir, entry: options.entry, recordSchema: options.recordSchema,
        variables: options.variables, onEvent: (e) => (e.type === 'notice' || e.type === 'echo' || e.type === 'warning') && emit(e),
      }));
      const base = { ref: options.base.ref, commit: options.base.commit, patchesAdded: run.outcomes.filter((o) => o.status === 'applied').map((o) => o.name) };
      return { database: b, model: await inspect(b), base };
    };
    // A and B are built at the same time, on two connections: the server does most of the work,
    // and check then takes about as long as the longer build instead of both. With a live
    // database, A is built while the live one is read.
    const readLive = async (live: Target) => ({ model: await inspect(live, true), base: undefined });
    const [ra, rb] = await Promise.allSettled([buildA('files'), options.live ? readLive(options.live) : buildB('patches')]);
    // The two builds share the server's roles (and tablespaces): schema files that create or
    // alter a role without expecting another loader at the same moment can fail ("tuple
    // concurrently updated", "role already exists") only because the other build ran. So a build
    // that failed with such an error is built again, alone, in a new database, and only a failure
    // of that run is reported. A syntax error or a missing include is not tried twice.
    const settle = async <T>(r: PromiseSettledResult<T>, what: string, retry?: () => Promise<T>): Promise<T> => {
      if (r.status === 'fulfilled') return r.value;
      if (stopped || !retry || !mayBeConcurrency(r.reason)) throw r.reason;
      emit({ type: 'retry', what, error: firstLine(r.reason) });
      return retry();
    };
    const patches = !options.live;
    const expected = (await settle(ra, 'the schema files', patches ? () => buildA('files_again') : undefined)).model;
    const other = await settle<{ model: SchemaModel; base: CheckResult['base'] }>(rb, 'the schema files at the base and the patches since',
      patches ? () => buildB('patches_again') : undefined);
    let actual = other.model;
    const base = other.base;
    actual = withoutRecord(actual, recordSchema, expected);
    const labels = { expected: 'in the schema files', actual: options.live ? 'in the live database' : 'after the patches' };
    const differences = compareModels(expected, actual, labels)
      .filter((d) => !(options.ignoreOwners && d.property === 'owner'));
    const failing = differences.filter((d) => options.strict || d.kind !== 'column_order').length;
    return {
      mode: options.live ? 'live' : 'patches',
      expected: 'the schema files',
      actual: options.live ? describeTarget(options.live) : `the schema files at ${options.base!.ref} plus the patches since`,
      base,
      differences,
      failing,
      ok: failing === 0,
    };
  } finally {
    await dropAll();
    unregister?.();
  }
}

/**
 * SQLSTATEs that a concurrent build on the same server can cause through the shared catalogs
 * (roles, tablespaces): internal_error ("tuple concurrently updated"), unique_violation and
 * duplicate_object (the same role created twice), undefined_object and
 * dependent_objects_still_exist (a role dropped and created again by the other build), deadlock,
 * serialization and lock failures.
 */
const CONCURRENCY_STATES = new Set(['XX000', '23505', '42710', '42704', '2BP01', '40P01', '40001', '55P03']);

function mayBeConcurrency(e: unknown): boolean {
  for (let x = e; x; x = (x as { cause?: unknown }).cause) {
    if (x instanceof SqlError) return CONCURRENCY_STATES.has(x.server.sqlstate);
    if (isServerError(x)) return CONCURRENCY_STATES.has(x.code ?? '');
  }
  return false;
}

function firstLine(e: unknown): string {
  let x = e;
  // CheckBuildError says which build; its cause says why.
  while (x instanceof CheckBuildError && x.cause) x = x.cause;
  return String((x as Error)?.message ?? x).split('\n')[0];
}

async function build<T>(which: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw new CheckBuildError(which, e);
  }
}

async function inspect(target: Target, readOnly = false): Promise<SchemaModel> {
  const session = await connect(target);
  try {
    if (readOnly) await session.query('set default_transaction_read_only = on');
    // Nothing excluded here: see withoutRecord.
    return await inspectDatabase(session, { exclude: [] });
  } finally {
    await session.end();
  }
}

/**
 * Leaves the record table out of a model: it is pgpatch's, not the schema's. Its schema goes
 * too, on the side compared with the schema files, only when the schema files do not have that
 * schema and nothing else is in it: pgpatch created it for the record (`--record-schema
 * pgpatch`). (inspectDatabase's own `exclude` drops every schema left empty, `public` included,
 * so an empty `public` with the record in it read as "missing after the patches".)
 */
export function withoutRecord(model: SchemaModel, schema: string, files?: SchemaModel): SchemaModel {
  delete model.tables[qualifiedName(schema, 'schema_patch')];
  const key = quoteName(schema);
  if (!files || files.schemas[key] || !model.schemas[key]) return model;
  const used = [model.tables, model.views, model.sequences, model.functions, model.types, model.collations]
    .some((map) => Object.values(map).some((o) => o.schema === schema))
    || Object.values(model.extensions).some((x) => x.schema === schema)
    || Object.values(model.defaultPrivileges).some((d) => d.schema === schema);
  if (!used) delete model.schemas[key];
  return model;
}
