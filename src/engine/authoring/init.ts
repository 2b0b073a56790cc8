/**
 * `init`: a new project's schema folder from `templates/init/`, in the reference's layout, and
 * the project's `.squawk.toml` (templates/squawk.toml, which adopt writes too).
 * Never overwrites: every file is created with O_EXCL, and one that exists is reported as
 * skipped, so running it twice (or over a half-made project) is safe.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { EXIT, PgpatchError, UsageError } from '../../errors';
import { quoteIdent } from '../../quote';
import { PROJECT_SQUAWK_CONFIG, SQUAWK_CONFIG_FILE } from '../squawk';

export const INIT_TEMPLATES = resolve(__dirname, '..', '..', '..', 'templates', 'init');
export const MAKEFILE_SNIPPET = 'pgpatch.mk';
/**
 * Django's own tables (contenttypes, auth, admin, sessions) as Django's migrate makes them: the
 * demo's file, which test/django checks against Django itself (the ORM and the kit's model check).
 */
export const DJANGO_TABLES = resolve(__dirname, '..', '..', '..', 'fixtures', 'demo', 'django.sql');
/** The Django app that ships with pgpatch (README, "For Django teams"). */
export const DJANGO_KIT = resolve(__dirname, '..', '..', '..', 'django', 'pgpatch_django');

export class ScaffoldError extends PgpatchError {
  readonly code = 'scaffold';
  readonly exitCode = EXIT.usage;
  constructor(
    readonly path: string,
    readonly reason: string,
    readonly written: string[],
  ) {
    super(`cannot write ${path}: ${reason}`, {
      hint: written.length ? `${written.length} file(s) were written before this one` : undefined,
    });
  }
}

export interface ScaffoldOptions {
  projectDir: string;
  schemaDir: string;
  patchesDir: string;
  /** The app: its role, its schema and its `<app>.sql`. A plain SQL identifier. */
  app: string;
  /** Write `pgpatch.mk` into the project folder (default true). */
  makefile?: boolean;
  /** Also Django's own tables (schema/django.sql, included before the app's) and the kit (pgpatch_django/). */
  django?: boolean;
}

export interface ScaffoldResult {
  written: string[];
  /** Files that existed and were left as they are. */
  skipped: string[];
  /** django.sql was written but database.sql was not (it existed): it does not include it yet. */
  toInclude?: string;
  /** The Makefile snippet, when asked for; its content either way (to print it). */
  makefile?: { path: string; content: string };
}

export function scaffold(options: ScaffoldOptions): ScaffoldResult {
  const app = options.app;
  // Used unquoted as a role and schema name, and as a file name.
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(app)) {
    throw new UsageError(`"${app}" cannot be an app name`, {
      hint: 'use lower-case letters, digits and _, starting with a letter (myapp)',
    });
  }
  if (quoteIdent(app) !== app) {
    throw new UsageError(`"${app}" cannot be an app name: it is a PostgreSQL keyword, which the templates would need in quotes`, {
      hint: 'pick another name (myapp)',
    });
  }
  if (['public', 'pg_catalog', 'information_schema', 'users', 'database', 'backup', 'view'].includes(app) || app.startsWith('pg_')) {
    throw new UsageError(`"${app}" is reserved in this layout`, { hint: 'pick the name of your app or project' });
  }
  const projectDir = resolve(options.projectDir);
  const flags = [
    relative(projectDir, options.schemaDir) !== 'schema' && `--schema-dir ${shellWord(relative(projectDir, options.schemaDir) || '.')}`,
    resolve(options.patchesDir) !== resolve(options.schemaDir, 'patches') &&
      `--patches-dir ${shellWord(relative(projectDir, options.patchesDir) || '.')}`,
  ]
    .filter(Boolean)
    .join(' ');
  const values: Record<string, string> = {
    app,
    flags: flags ? ` ${flags}` : '',
    django: options.django ? "--- Django's own tables (contenttypes, auth, admin, sessions)\n\\i django.sql\n" : '',
  };
  const files: Array<{ path: string; template?: string; copy?: string }> = [
    { path: join(options.schemaDir, 'database.sql'), template: 'database.sql' },
    { path: join(options.schemaDir, 'users.sql'), template: 'users.sql' },
    { path: join(options.schemaDir, `${app}.sql`), template: 'app.sql' },
    { path: join(options.patchesDir, '.gitkeep') },
    // lint's rules for a pgpatch project (the file says which are left out, and why).
    { path: join(projectDir, SQUAWK_CONFIG_FILE), copy: PROJECT_SQUAWK_CONFIG },
  ];
  if (options.django) {
    files.push({ path: join(options.schemaDir, 'django.sql'), copy: DJANGO_TABLES });
    for (const f of kitFiles()) files.push({ path: join(projectDir, 'pgpatch_django', f), copy: join(DJANGO_KIT, f) });
  }
  const makefilePath = join(projectDir, MAKEFILE_SNIPPET);
  const makefileContent = fill(readFileSync(join(INIT_TEMPLATES, MAKEFILE_SNIPPET), 'utf8'), values);
  if (options.makefile !== false) files.push({ path: makefilePath });

  const result: ScaffoldResult = { written: [], skipped: [], makefile: { path: makefilePath, content: makefileContent } };
  for (const f of files) {
    const content =
      f.path === makefilePath
        ? makefileContent
        : f.template
          ? fill(readFileSync(join(INIT_TEMPLATES, f.template), 'utf8'), values)
          : f.copy
            ? readFileSync(f.copy, 'utf8')
            : '';
    try {
      mkdirSync(resolve(f.path, '..'), { recursive: true });
      writeFileSync(f.path, content, { flag: 'wx' });
      result.written.push(f.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') result.skipped.push(f.path);
      else throw new ScaffoldError(f.path, (e as Error).message, result.written);
    }
  }
  const djangoTables = join(options.schemaDir, 'django.sql');
  if (result.written.includes(djangoTables) && result.skipped.includes(join(options.schemaDir, 'database.sql')))
    result.toInclude = djangoTables;
  return result;
}

/** The kit's files, relative to its folder, in name order (no compiled Python). */
function kitFiles(): string[] {
  return readdirSync(DJANGO_KIT, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.endsWith('.pyc'))
    .map((e) => relative(DJANGO_KIT, join(e.parentPath, e.name)))
    .sort();
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (all, key: string) => values[key] ?? all);
}

/** A path as one word for make and sh. */
function shellWord(s: string): string {
  return /^[A-Za-z0-9_./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
