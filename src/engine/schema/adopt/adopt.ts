/**
 * `adopt`: take over a database that something else built (Django's migrations): write its schema
 * as plain SQL files and record the baseline, so that the team's next change is the first patch.
 *
 * Read-only on the database apart from the record: the model is read in a READ ONLY snapshot,
 * then `ensureRecord` creates an empty schema_patch table. Files are never overwritten without
 * `force`; a refusal happens before anything is written or recorded.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT, PgpatchError } from '../../../errors';
import { withSession, type Target } from '../../db';
import { inspectDatabase, inspectDependencies } from '../inspect/inspect';
import { ensureRecord } from '../../patches/recorder';
import { writeProjectSquawkConfig } from '../../squawk';
import { renderSchemaFiles, type RenderResult } from './render';

/** Django's own record of its migrations: replaced by schema_patch, so left out by default. */
export const DJANGO_MIGRATIONS = 'django_migrations';

export class AdoptFilesExistError extends PgpatchError {
  readonly code = 'adopt_files_exist';
  readonly exitCode = EXIT.usage;
  constructor(readonly files: string[]) {
    super(`${files.length} schema file${files.length === 1 ? '' : 's'} exist already, nothing written: ${files.join(', ')}`, {
      hint: 'adopt another folder (--schema-dir), remove them, or overwrite them with --force',
    });
  }
}

export interface AdoptOptions {
  target: Target;
  schemaDir: string;
  patchesDir: string;
  /** Table-name prefixes that name the apps; default: each table's text before its first `_`. */
  apps?: string[];
  keepDjangoMigrations?: boolean;
  force?: boolean;
  /** List what would be written; write and record nothing. */
  dryRun?: boolean;
  /** Write the files but leave the database alone. */
  record?: boolean;
  recordSchema?: string;
  /** The project's root: lint's `.squawk.toml` for a pgpatch project is written there when it has none. */
  projectDir?: string;
}

export interface AdoptResult {
  target: string;
  schemaDir: string;
  /** Absolute paths, in include order, database.sql last; with what each holds. */
  files: Array<{ path: string; summary: string }>;
  /** Files that existed already: overwritten with force, or that would be (dry run). */
  existing: string[];
  dryRun: boolean;
  /** What happened to the record: absent when not asked for (dry run, record: false). */
  record?: 'created' | 'upgraded' | 'present';
  recordSchema: string;
  /** Tables left out on purpose (django_migrations). */
  leftOut: string[];
  mainOwner?: string;
  /** The `.squawk.toml` written (or that would be, dry run) at the project root; absent when the project has one. */
  squawkConfig?: string;
  notCarried: RenderResult['notCarried'];
  counts: { tables: number; views: number; functions: number; types: number; sequences: number };
}

export async function adopt(options: AdoptOptions): Promise<AdoptResult> {
  const recordSchema = options.recordSchema ?? 'public';
  const exclude = [{ table: 'schema_patch' }, ...(options.keepDjangoMigrations ? [] : [{ table: DJANGO_MIGRATIONS }])];
  return withSession(options.target, async (session) => {
    const all = await inspectDatabase(session, { exclude: [{ table: 'schema_patch' }] });
    const model = await inspectDatabase(session, { exclude });
    const leftOut = Object.keys(all.tables).filter((k) => !model.tables[k]);
    // The files are written in the order pg_depend says the objects need (a domain's CHECK
    // calling a function comes after the function, not with the other types).
    const dependencies = await inspectDependencies(session);
    const rendered = renderSchemaFiles(model, { apps: options.apps, leftOut: leftOut.map((k) => `table ${k}`), dependencies });
    const files = rendered.files.map((f) => ({ ...f, path: join(options.schemaDir, f.name) }));
    const existing = files.filter((f) => existsSync(f.path)).map((f) => f.path);
    if (existing.length && !options.force && !options.dryRun) throw new AdoptFilesExistError(existing);
    let record: AdoptResult['record'];
    if (!options.dryRun) {
      mkdirSync(options.schemaDir, { recursive: true });
      mkdirSync(options.patchesDir, { recursive: true });
      for (const f of files) writeFileSync(f.path, f.content);
      if (options.record !== false) record = await ensureRecord(session, recordSchema);
    }
    const squawk = options.projectDir ? writeProjectSquawkConfig(options.projectDir, options.dryRun) : undefined;
    return {
      target: options.target.display,
      schemaDir: options.schemaDir,
      files: files.map((f) => ({ path: f.path, summary: f.summary })),
      existing,
      dryRun: Boolean(options.dryRun),
      record,
      recordSchema,
      leftOut,
      mainOwner: rendered.mainOwner,
      ...(squawk && !squawk.existed ? { squawkConfig: squawk.path } : {}),
      notCarried: rendered.notCarried,
      counts: {
        tables: Object.keys(model.tables).length,
        views: Object.keys(model.views).length,
        functions: Object.keys(model.functions).length,
        types: Object.keys(model.types).length,
        sequences: Object.keys(model.sequences).length,
      },
    };
  });
}
