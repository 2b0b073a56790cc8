// Temporary pgpatch projects for the migrate tests: a folder with schema/database.sql and
// schema/patches/, and a way to run the CLI on it against a test database.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CLI, runCli } from './cli.mjs';
import { query } from './database.mjs';
import { targetFrom } from 'pgpatch';

/**
 * Makes a project folder. `patches` maps paths under schema/patches/ to their content (a string
 * or a Buffer), or to { content, mode } for scripts.
 */
export function makeProject({ database = '', patches = {} } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'pgpatch-project-'));
  mkdirSync(join(dir, 'schema', 'patches'), { recursive: true });
  writeFileSync(join(dir, 'schema', 'database.sql'), database);
  const project = {
    dir,
    patchesDir: join(dir, 'schema', 'patches'),
    /** Writes (or overwrites) a file under schema/patches/. */
    patch(path, content, mode) {
      const file = join(dir, 'schema', 'patches', path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
      if (mode !== undefined) chmodSync(file, mode);
      return file;
    },
    /** Writes an executable shell script under schema/patches/. */
    script(path, body) {
      return project.patch(path, `#!/bin/sh\nset -e\n${body}\n`, 0o755);
    },
    remove(path) {
      rmSync(join(dir, 'schema', 'patches', path), { force: true });
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  for (const [path, value] of Object.entries(patches)) {
    if (value && typeof value === 'object' && !Buffer.isBuffer(value)) project.patch(path, value.content, value.mode);
    else project.patch(path, value);
  }
  return project;
}

/**
 * Runs `pgpatch <command> --dsn url ...args` in the project folder. NODE_EXTRA_CA_CERTS is left
 * out: it costs ~95 ms per Node start and the CLI never talks TLS to the test servers.
 */
export function pgpatch(project, url, command, args = [], options = {}) {
  return runCli([command, '--dsn', url, ...args], {
    cwd: project.dir,
    // Generous: on a busy 2-core machine a run of a few patches has taken over a minute.
    timeoutMs: 180000,
    ...options,
    env: { NODE_EXTRA_CA_CERTS: undefined, ...options.env },
  });
}

/**
 * Starts `pgpatch <command>` without waiting for it: { child, done } where `done` resolves to
 * { code, signal, stdout, stderr } when it exits. For tests that kill it on the way. `extraEnv`
 * is added to the environment.
 */
export function startPgpatch(project, url, command, args = [], extraEnv = {}) {
  const env = { ...process.env, ...extraEnv };
  for (const k of ['DATABASE_URL', 'PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGSERVICE', 'PGHOSTADDR', 'NODE_EXTRA_CA_CERTS'])
    delete env[k];
  const child = spawn(process.execPath, [CLI, command, '--dsn', url, ...args], {
    cwd: project.dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Waits until `fn` returns a truthy value (polling), or fails after `timeoutMs`. */
export async function waitFor(fn, what, timeoutMs = 30000) {
  const started = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The backend of a running migrate on this database, once it runs a statement matching `like`. */
export function migrateBackend(url, like = '%pg_sleep%') {
  return waitFor(async () => {
    const { rows } = await query(
      url,
      `select pid from pg_stat_activity
      where application_name like 'pgpatch migrate%' and datname = current_database() and state = 'active' and query like $1`,
      [like],
    );
    return rows[0]?.pid;
  }, 'migrate to run its patch');
}

/** The record as rows { name, status, stage, checksum, error }, by name; empty without a table. */
export async function record(url, schema = 'public') {
  const exists = await query(url, 'select to_regclass($1) is not null as ok', [`"${schema}".schema_patch`]);
  if (!exists.rows[0].ok) return null;
  const { rows } = await query(url, `select * from "${schema}".schema_patch order by convert_to(name, 'UTF8')`);
  return rows;
}

/** name → status (with the stage for failed and applying: `failed/post`), for short assertions. */
export async function statuses(url, schema = 'public') {
  const rows = await record(url, schema);
  if (!rows) return null;
  return Object.fromEntries(
    rows.map((r) => [r.name, r.status === 'failed' || r.status === 'applying' ? `${r.status}/${r.stage}` : r.status]),
  );
}

/** Whether a relation exists in the database. */
export async function exists(url, relation) {
  const { rows } = await query(url, 'select to_regclass($1) is not null as ok', [relation]);
  return rows[0].ok;
}

/**
 * Makes a database that already has a record (empty), so that patches written after it are
 * pending rather than assumed: the first run on a project without patches builds the database
 * from database.sql and records nothing. Done in-process with the library's migrate(), which
 * the CLI runs too: a Node start less per test (the CLI's first run has tests of its own).
 */
export async function initRecord(project, url) {
  const { migrate } = await import('pgpatch');
  const result = await migrate({
    target: targetFrom(url, 'test'),
    patchesDir: project.patchesDir,
    entry: join(project.dir, 'schema', 'database.sql'),
  });
  if (!result.firstRun || result.firstRun.assumed !== 0) throw new Error('initRecord: expected a first run on a project without patches');
  return result;
}

/** SQL whose statements all succeed and whose COMMIT fails: a deferred foreign key left violated. */
export const FAILS_AT_COMMIT = `create table parent (id int primary key);
create table child (id int references parent deferrable initially deferred);
insert into child values (1);
`;

/** The `log` table most migrate tests write to. */
export const LOG_TABLE = 'create table log (id serial primary key, name text not null);\n';

/**
 * A project (kept in t.context.project, for the afterEach cleanup) built into the test's
 * database with an empty record: the patches it gets next are applied, not assumed.
 */
export async function projectWithRecord(t, database = LOG_TABLE) {
  const p = (t.context.project = makeProject({ database }));
  await initRecord(p, t.context.db.url);
  return { p, url: t.context.db.url };
}
