/**
 * A diff's two sides: a database, read as it is (read-only), or schema files, loaded into a
 * scratch database that is dropped afterwards (the scratch module, as check builds its A side).
 * Each side gives its model and its pg_depend.
 */
import { existsSync } from 'node:fs';
import { UsageError } from '../../../errors';
import type { ScratchChoice, Target } from '../../../target';
import { withSession } from '../../db';
import { schemaFilesModel } from '../../scratch/build';
import { openScratchServer } from '../../scratch/server';
import type { ScriptEvent } from '../../script/execute';
import { inspectDatabase, inspectDependencies } from '../inspect/inspect';
import type { Dependency, SchemaModel } from '../inspect/model';

/** A database (read, never written) or a schema entry file (built in a scratch database). */
export type DiffSource = { database: Target } | { files: string };

export interface SourceRead {
  /** For people: the database with its password masked, or the entry file. */
  label: string;
  model: SchemaModel;
  dependencies: Dependency[];
}

export interface ReadSourceOptions {
  /** Where schema files are built: needed for a side that is schema files. */
  scratch?: ScratchChoice;
  variables?: Record<string, string>;
  onEvent?: (e: ScriptEvent | { type: 'building'; what: string; database: string } | { type: 'scratch-started' }) => void;
}

export async function readSource(source: DiffSource, options: ReadSourceOptions, server?: Target): Promise<SourceRead> {
  if ('database' in source) {
    return { label: source.database.display, ...(await withSession(source.database, readDatabase)) };
  }
  const entry = source.files;
  if (!existsSync(entry)) throw new UsageError(`${entry}: no such schema file (a SOURCE is a postgres:// URL or a schema entry file)`);
  if (!server) throw new UsageError(`${entry} is a schema file: building it needs a scratch server (--scratch-url or PGPATCH_SCRATCH_URL)`);
  const built = await schemaFilesModel(server, entry, {
    prefix: 'pgpatch_diff',
    dependencies: true,
    variables: options.variables,
    onEvent: options.onEvent,
    onDatabase: (db) => options.onEvent?.({ type: 'building', what: entry, database: db.info.dbname ?? '' }),
  });
  return { label: entry, ...built };
}

/** The scratch server both sides share, opened (the embedded one started) only when a side is schema files. */
export async function scratchFor(sources: DiffSource[], options: ReadSourceOptions): Promise<Target | undefined> {
  if (!options.scratch || sources.every((s) => 'database' in s)) return undefined;
  const server = (await openScratchServer(options.scratch))!;
  if (server.started) options.onEvent?.({ type: 'scratch-started' });
  return server.target;
}

async function readDatabase(s: import('../../db').Session): Promise<Omit<SourceRead, 'label'>> {
  return { model: await inspectDatabase(s), dependencies: await inspectDependencies(s) };
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
