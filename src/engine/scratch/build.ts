/**
 * Schema files built in scratch databases: the one way check (both sides), the baseline
 * comparison, try, diff and the makemigrations draft turn schema files, as they are or as they
 * were at a commit, into a database to read. Every failure is a CheckBuildError naming what was
 * being built; the databases are the caller's (ScratchDatabases) or dropped here.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CheckBuildError } from '../../errors';
import type { Target } from '../../target';
import { withSession } from '../db';
import { migrate } from '../migrate/migrate';
import type { MigrateResult } from '../migrate/types';
import { recordBaseline } from '../patches/baseline';
import { findPatches, type PatchFile } from '../patches/files';
import { inspectDatabase, inspectDependencies } from '../schema/inspect/inspect';
import type { Dependency, InspectOptions, SchemaModel } from '../schema/inspect/model';
import type { ScriptEvent } from '../script/execute';
import { loadScript } from '../script/load';
import type { BaseTree } from './base-tree';
import { withScratchDatabase } from './databases';
import { loadingTarget, type Loading } from './owner';

export interface BuildOptions {
  variables?: Record<string, string>;
  onEvent?: (e: ScriptEvent) => void;
}

/** Loads the schema entry file into `db`, as `load` does (without a record). */
export async function loadSchemaFiles(
  db: Target,
  entry: string,
  options: BuildOptions = {},
  what = 'the database from the schema files',
): Promise<void> {
  await building(what, () => loadScript({ target: db, entry, variables: options.variables, onEvent: options.onEvent }));
}

/**
 * Builds `db` as the schema files were at the base commit, with the patches of that commit
 * recorded as assumed (the schema files had them): where check's B side, and try --scratch,
 * start before migrate applies the patches since. A base that had no schema files yet leaves
 * the database empty: the patches alone make it. Returns the base's patches.
 */
export async function loadAtBase(
  db: Target,
  tree: BaseTree,
  options: BuildOptions & { entry: string; patchesDir: string; recordSchema?: string },
): Promise<PatchFile[]> {
  const rel = (p: string) => join(tree.root, relative(tree.repoRoot, p));
  if (existsSync(rel(options.entry)))
    await loadSchemaFiles(db, rel(options.entry), options, `the database from the schema files at ${tree.ref}`);
  const basePatches = findPatches(rel(options.patchesDir));
  await withSession(db, (s) => recordBaseline(s, options.recordSchema ?? 'public', basePatches));
  return basePatches;
}

/** Applies the patches of the work tree that `db`'s record lacks, by migrate's engine (up to `upTo`). */
export async function applyPatches(
  db: Target,
  options: BuildOptions & { entry: string; patchesDir: string; recordSchema?: string; upTo?: string },
  what = 'the patches added since the base',
): Promise<MigrateResult> {
  const emit = options.onEvent;
  return building(what, () =>
    migrate({
      target: db,
      patchesDir: options.patchesDir,
      entry: options.entry,
      recordSchema: options.recordSchema,
      variables: options.variables,
      upTo: options.upTo,
      onEvent: (e) => (e.type === 'notice' || e.type === 'echo' || e.type === 'warning') && emit?.(e),
    }),
  );
}

export interface BuiltSchema {
  model: SchemaModel;
  dependencies: Dependency[];
}

/**
 * The schema files loaded in a scratch database of their own on `server`, read (model, and the
 * server's dependencies when asked), and dropped whatever happens.
 */
export async function schemaFilesModel(
  server: Target,
  entry: string,
  options: BuildOptions & {
    prefix?: string;
    inspect?: InspectOptions;
    dependencies?: boolean;
    onDatabase?: (db: Target) => void;
    /** Loaded by this role, for another's (see owner.ts). */
    loading?: Loading;
  } = {},
): Promise<BuiltSchema> {
  return withScratchDatabase(server, options.prefix ?? 'pgpatch_files', async (db) => {
    options.onDatabase?.(db);
    await loadSchemaFiles(loadingTarget(db, options.loading), entry, options);
    return withSession(db, async (s) => ({
      model: await inspectDatabase(s, options.inspect),
      dependencies: options.dependencies ? await inspectDependencies(s) : [],
    }));
  });
}

async function building<T>(which: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw new CheckBuildError(which, e);
  }
}
