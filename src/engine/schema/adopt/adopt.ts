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
import { withSession, type Session, type Target } from '../../db';
import { inspectDatabase, inspectDependencies } from '../inspect/inspect';
import { findPatches } from '../../patches/files';
import { localDate, nextPatchName } from '../../authoring/makemigrations';
import { ensureRecord } from '../../patches/recorder';
import { writeProjectSquawkConfig } from '../../squawk';
import { quoteQualified } from '../../../quote';
import { renderSchemaFiles, type RenderResult } from './render';

/** Django's own record of its migrations: replaced by schema_patch, so left out by default. */
export const DJANGO_MIGRATIONS = 'django_migrations';

/** The slug of the first patch adopt writes, which drops django_migrations. */
const FIRST_PATCH = 'drop_django_migrations';

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
  /**
   * The app labels of django_migrations, sorted: the apps whose migrations Django must no longer
   * run (settings.MIGRATION_MODULES), third-party ones included. Empty without that table.
   */
  djangoApps: string[];
  /** Written into the patches folder (absolute paths): its .gitkeep, and the first patch when django_migrations was left out. */
  patches: Array<{ path: string; summary: string; existed: boolean }>;
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
    // Django's history: its app labels, and (when left out) the first patch drops it.
    const [historyKey, history] = Object.entries(all.tables).find(([, t]) => t.name === DJANGO_MIGRATIONS) ?? [];
    const djangoApps = history ? await djangoAppLabels(session, history.schema) : [];
    const patches = patchesFolderFiles(options.patchesDir, historyKey && leftOut.includes(historyKey) ? history!.schema : undefined);
    let record: AdoptResult['record'];
    if (!options.dryRun) {
      mkdirSync(options.schemaDir, { recursive: true });
      mkdirSync(options.patchesDir, { recursive: true });
      for (const f of files) writeFileSync(f.path, f.content);
      for (const p of patches) if (!p.existed) writeFileSync(p.path, p.content, { flag: 'wx' });
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
      djangoApps,
      patches: patches.map(({ path, summary, existed }) => ({ path, summary, existed })),
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

/** The app labels django_migrations records, sorted. */
async function djangoAppLabels(session: Session, schema: string): Promise<string[]> {
  const r = await session.query<{ app: string }>(`select distinct app from ${quoteQualified(schema, DJANGO_MIGRATIONS)} order by app`);
  return r.rows.map((row) => row.app);
}

/**
 * What adopt puts in the patches folder: a .gitkeep (git keeps no empty folder, and migrate
 * refuses a missing one: a clone of the adopt commit would fail `migrate --check`), and, when
 * django_migrations (in `historySchema`) was left out, the first patch, which drops it. Its `if
 * exists` is what lets it run on a database built from the schema files, which never had the
 * table, as check's patched side is: a bare `drop table` fails there. A first patch adopt wrote
 * before (adopt run again) is not written twice.
 */
function patchesFolderFiles(
  patchesDir: string,
  historySchema: string | undefined,
): Array<{ path: string; summary: string; existed: boolean; content: string }> {
  const keep = join(patchesDir, '.gitkeep');
  const out = [{ path: keep, summary: 'keeps the patches folder in git', existed: existsSync(keep), content: '' }];
  if (historySchema === undefined) return out;
  const names = existsSync(patchesDir) ? findPatches(patchesDir) : [];
  const earlier = names.find((p) => p.name.endsWith(`_${FIRST_PATCH}`));
  const name =
    earlier?.name ??
    nextPatchName(
      names.map((p) => p.name),
      localDate(),
      FIRST_PATCH,
    );
  out.push({
    path: earlier?.path ?? join(patchesDir, `${name}.sql`),
    summary: "the first patch: drops Django's migration history",
    existed: Boolean(earlier),
    content: [
      "-- The first patch after `pgpatch adopt`: Django's migration history goes; pgpatch's schema_patch",
      '-- record replaces it. The schema files never had the table (adopt left it out), so a database',
      "-- built from them has nothing to drop: hence 'if exists'. Its id sequence goes with it.",
      `drop table if exists ${quoteQualified(historySchema, DJANGO_MIGRATIONS)};`,
      '',
    ].join('\n'),
  });
  return out;
}
