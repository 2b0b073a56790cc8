/**
 * A diff's two sides: a database URL, read as it is (read-only), or schema files, loaded into a
 * scratch database that is dropped afterwards (as check builds its A side). Each side gives its
 * model and its pg_depend.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { CheckBuildError, UsageError } from '../../../errors';
import { describeTarget, withSession, type Target } from '../../db';
import { loadScript } from '../../script/load';
import type { ScriptEvent } from '../../script/execute';
import { inspectDatabase, inspectDependencies } from '../inspect/inspect';
import type { Dependency, SchemaModel } from '../inspect/model';
import { quoteIdent } from '../../../quote';

export interface SourceRead {
  /** For people: the URL with its password masked, or the entry file. */
  label: string;
  model: SchemaModel;
  dependencies: Dependency[];
}

export interface ReadSourceOptions {
  /** A server where pgpatch may create and drop databases: needed for schema files. */
  scratchUrl?: string;
  variables?: Record<string, string>;
  onEvent?: (e: ScriptEvent | { type: 'building'; what: string; database: string }) => void;
}

/** `postgres://...` and `postgresql://...` are databases; anything else is a schema entry file. */
export function isDatabaseUrl(source: string): boolean {
  return /^postgres(ql)?:\/\//.test(source);
}

export async function readSource(source: string, options: ReadSourceOptions): Promise<SourceRead> {
  if (isDatabaseUrl(source)) {
    const target: Target = { connectionString: source, source: 'diff' };
    return { label: describeTarget(target), ...(await readDatabase(target)) };
  }
  if (!existsSync(source)) throw new UsageError(`${source}: no such schema file (a SOURCE is a postgres:// URL or a schema entry file)`);
  if (!options.scratchUrl)
    throw new UsageError(`${source} is a schema file: building it needs a scratch server (--scratch-url or PGPATCH_SCRATCH_URL)`);
  return { label: source, ...(await buildFiles(source, options.scratchUrl, options)) };
}

async function readDatabase(target: Target): Promise<Omit<SourceRead, 'label'>> {
  return withSession(target, async (s) => ({ model: await inspectDatabase(s), dependencies: await inspectDependencies(s) }));
}

/** Loads `entry` into a new database on the scratch server, reads it, and drops it whatever happens. */
export async function buildFiles(entry: string, scratchUrl: string, options: ReadSourceOptions = {}): Promise<Omit<SourceRead, 'label'>> {
  const name = `pgpatch_diff_${randomBytes(4).toString('hex')}`;
  const admin: Target = { connectionString: scratchUrl, source: 'scratch' };
  options.onEvent?.({ type: 'building', what: entry, database: name });
  await withSession(admin, (s) => s.query(`create database ${quoteIdent(name)}`));
  try {
    const url = new URL(scratchUrl);
    url.pathname = `/${name}`;
    const target: Target = { connectionString: url.toString(), source: 'scratch' };
    try {
      await loadScript({ target, entry, variables: options.variables, onEvent: options.onEvent });
    } catch (e) {
      throw new CheckBuildError(`the database from ${entry}`, e);
    }
    return await readDatabase(target);
  } finally {
    await withSession(admin, (s) => s.query(`drop database if exists ${quoteIdent(name)} with (force)`));
  }
}

/** The model limited to some schemas (`only`, when given) and without others (`without`). */
export function restrictModel(model: SchemaModel, only: string[] = [], without: string[] = []): SchemaModel {
  if (!only.length && !without.length) return model;
  const keep = (schema: string | undefined) =>
    schema === undefined || ((!only.length || only.includes(schema)) && !without.includes(schema));
  const filter = <T extends { schema?: string }>(map: Record<string, T>) =>
    Object.fromEntries(Object.entries(map).filter(([, o]) => keep(o.schema)));
  return {
    ...model,
    schemas: Object.fromEntries(Object.entries(model.schemas).filter(([, s]) => keep(s.name))),
    collations: filter(model.collations),
    types: filter(model.types),
    tables: filter(model.tables),
    views: filter(model.views),
    sequences: filter(model.sequences),
    functions: filter(model.functions),
    defaultPrivileges: filter(model.defaultPrivileges),
  };
}
