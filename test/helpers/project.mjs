// Temporary pgpatch projects for the migrate tests: a folder with schema/database.sql and
// schema/patches/, and a way to run the CLI on it against a test database.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runCli } from './cli.mjs';
import { query } from './database.mjs';

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
    ...options,
    env: { NODE_EXTRA_CA_CERTS: undefined, ...options.env },
  });
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
  return Object.fromEntries(rows.map((r) => [r.name, r.status === 'failed' || r.status === 'applying' ? `${r.status}/${r.stage}` : r.status]));
}

/** Whether a relation exists in the database. */
export async function exists(url, relation) {
  const { rows } = await query(url, 'select to_regclass($1) is not null as ok', [relation]);
  return rows[0].ok;
}

/**
 * Makes a database that already has a record (empty), so that patches written after it are
 * pending rather than assumed: the first run on an empty project records nothing.
 */
export async function initRecord(project, url) {
  const r = await pgpatch(project, url, 'migrate');
  if (r.code !== 0) throw new Error(`initial migrate failed (${r.code}): ${r.stderr}`);
  return r;
}
