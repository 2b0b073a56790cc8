/**
 * Settings come from flags, then environment variables, then defaults; they are checked once,
 * here, so the engine can trust them.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { ConnectionSettingsError, NoTargetError, UsageError } from './errors';
import { resolveTarget as targetFrom, type ScratchChoice, type Target } from './target';
import type { DiffSource } from './engine/schema/diff/sources';

export interface TargetFlags {
  dsn?: string;
  embedded?: boolean;
}

export const TARGET_WAYS = [
  "--dsn postgresql://user@host:5432/dbname (or libpq's key/value form: --dsn 'host=db dbname=app')",
  'DATABASE_URL=postgresql://user@host:5432/dbname',
  "libpq's variables: PGHOST (or PGHOSTADDR), PGPORT, PGDATABASE, PGUSER (and PGPASSWORD or ~/.pgpass), or PGSERVICE",
  '--embedded: a local PostgreSQL kept in .pgpatch/ of the project, started when needed',
];

const LIBPQ_VARS = ['PGHOST', 'PGHOSTADDR', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGSERVICE'];

/**
 * The database to work on, or undefined when `--embedded` was asked for (the caller starts it).
 * Never falls back to the embedded server on its own: a forgotten DATABASE_URL in CI must fail,
 * not quietly succeed against a throwaway database. A string, service or variable that cannot
 * be honoured is refused here, before the command does anything (ConnectionSettingsError).
 */
export function resolveTarget(flags: TargetFlags, env: NodeJS.ProcessEnv = process.env): Target | undefined {
  if (flags.dsn) return targetFrom(flags.dsn, '--dsn', env);
  if (flags.embedded) return undefined;
  if (env.DATABASE_URL) return targetFrom(env.DATABASE_URL, 'DATABASE_URL', env);
  if (LIBPQ_VARS.some((v) => env[v])) return targetFrom(undefined, 'PG* variables', env);
  throw new NoTargetError(TARGET_WAYS);
}

/** Whether flags or environment name a database at all (lint lints every patch without one). */
export function hasTarget(flags: TargetFlags, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(flags.dsn || flags.embedded || env.DATABASE_URL || LIBPQ_VARS.some((v) => env[v]));
}

/**
 * A server where pgpatch may create and drop databases: `--scratch-url`, else
 * PGPATCH_SCRATCH_URL (each in any form libpq reads, resolved once here), else the project's
 * embedded server, started when a command needs it.
 */
export function resolveScratch(flag: string | undefined, projectDir: string, env: NodeJS.ProcessEnv = process.env): ScratchChoice {
  if (flag) return { target: targetFrom(flag, '--scratch-url', env) };
  if (env.PGPATCH_SCRATCH_URL) return { target: targetFrom(env.PGPATCH_SCRATCH_URL, 'PGPATCH_SCRATCH_URL', env) };
  return { embedded: projectDir };
}

export interface PathSettings {
  /** The project folder: where `.pgpatch/` lives. */
  projectDir: string;
  schemaDir: string;
  entry: string;
  patchesDir: string;
  /** Cache of patch checksums for this patches folder; undefined when caching is off. */
  checksumCache?: string;
}

export interface PathFlags {
  schemaDir?: string;
  entry?: string;
  patchesDir?: string;
}

export function resolvePaths(flags: PathFlags, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): PathSettings {
  const schemaDir = resolve(cwd, flags.schemaDir ?? env.PGPATCH_SCHEMA_DIR ?? 'schema');
  const patchesDir = resolve(cwd, flags.patchesDir ?? env.PGPATCH_PATCHES_DIR ?? resolve(schemaDir, 'patches'));
  return {
    projectDir: cwd,
    schemaDir,
    entry: resolve(cwd, flags.entry ?? env.PGPATCH_ENTRY ?? resolve(schemaDir, 'database.sql')),
    patchesDir,
    checksumCache: checksumCacheFile(patchesDir, env),
  };
}

/**
 * The checksum cache of a patches folder: in the user's cache folder, not in the project, so
 * that it never shows in `git status`. PGPATCH_CACHE_DIR chooses another folder, which must be
 * an absolute path (a relative one would be a different folder from each working directory,
 * and a folder in the work tree run from the project); `off` (or empty) turns the cache off.
 */
export function checksumCacheFile(patchesDir: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  let dir = env.PGPATCH_CACHE_DIR;
  if (dir === undefined) {
    const xdg = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
    dir = join(xdg, 'pgpatch');
  }
  if (dir === '' || dir === 'off') return undefined;
  if (!isAbsolute(dir)) {
    throw new UsageError(`PGPATCH_CACHE_DIR must be an absolute path, got "${dir}"`, {
      hint: `the checksum cache would go into the working directory; give a full path (PGPATCH_CACHE_DIR="$PWD/${dir}" if that is what you meant), or "off"`,
    });
  }
  // node:crypto loaded here, not at the top: `--help` loads this module, and crypto was ~10 ms of its start-up.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  const id = createHash('sha256').update(patchesDir).digest('hex').slice(0, 16);
  return join(resolve(dir), `checksums-${id}.tsv`);
}

/** `-v name=value` flags, like psql's. */
export function parseVariableFlags(values: string[] = []): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`-v expects name=value, got "${v}"`);
    vars[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return vars;
}

/**
 * A duration with its unit, as PostgreSQL writes them: `500ms`, `5s`, `2min`, `1h`; `0` is off.
 * A bare number is refused: PostgreSQL reads it as milliseconds and `--wait-for-run-lock` as
 * seconds, so either reading would surprise someone. Returns milliseconds (0: off).
 */
export function parseDuration(value: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h)?\s*$/i.exec(value);
  const unit = m?.[2]?.toLowerCase();
  if (m && (unit || Number(m[1]) === 0)) {
    const ms = Number(m[1]) * ({ ms: 1, s: 1000, min: 60000, h: 3600000 } as Record<string, number>)[unit ?? 'ms'];
    if (Number.isFinite(ms) && ms <= 2147483647) return Math.round(ms);
  }
  throw new UsageError(`${what} expects a duration with its unit (500ms, 5s, 2min, 1h; 0 for none), got "${value}"`);
}

/**
 * PostgreSQL's lock_timeout for migrate's patch statements: `--statement-lock-timeout`, else
 * PGPATCH_STATEMENT_LOCK_TIMEOUT. Undefined when neither is set (or 0): statements wait as long
 * as it takes, as psql's would. `unset` is what a command uses when neither is given (try's short
 * default); lint reads it the same way as migrate, so that it knows what migrate will set.
 */
export function resolveStatementLockTimeout(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  unset?: number,
): number | undefined {
  if (flag !== undefined) return parseDuration(flag, '--statement-lock-timeout') || undefined;
  const fromEnv = env.PGPATCH_STATEMENT_LOCK_TIMEOUT;
  if (fromEnv === undefined || fromEnv === '') return unset;
  return parseDuration(fromEnv, 'PGPATCH_STATEMENT_LOCK_TIMEOUT') || undefined;
}

/**
 * How long migrate waits for another run's lock, in ms: `--wait-for-run-lock` (or its old name
 * `--lock-timeout`) in seconds; 0, the default, gives up at once.
 */
export function resolveRunLockWait(waitFlag: string | undefined, lockTimeoutFlag: string | undefined): number {
  const flag = waitFlag !== undefined ? '--wait-for-run-lock' : '--lock-timeout';
  const value = waitFlag ?? lockTimeoutFlag ?? '0';
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds < 0) throw new UsageError(`${flag} expects seconds, got "${value}"`);
  return seconds * 1000;
}

/** The paths with symbolic links resolved where they exist (git reports its root so: check compares paths with it). */
export function realPaths(p: PathSettings): PathSettings {
  const real = (path: string) => (existsSync(path) ? realpathSync(path) : path);
  return { ...p, schemaDir: real(p.schemaDir), entry: real(p.entry), patchesDir: real(p.patchesDir) };
}

/** A diff SOURCE: a `postgres://` URL is a database (resolved here, once), anything else a schema entry file. */
export function diffSource(source: string, flag: string, env: NodeJS.ProcessEnv = process.env): DiffSource {
  return /^postgres(ql)?:\/\//i.test(source) ? { database: targetFrom(source, flag, env) } : { files: source };
}

export interface FleetFlags {
  databases?: string;
  schemas?: string;
  targets?: string;
  jobs?: string;
  failFast?: boolean;
  canary?: string;
}

/**
 * Which fleet the flags name, if any: `--databases PATTERN` or `--schemas PATTERN` (the server
 * or database is the command's target, which the caller resolves: it may be the embedded one),
 * or `--targets FILE` with every line resolved here, once, as libpq reads it. With how it runs:
 * `--jobs` (default 4), `--fail-fast`, `--canary K`. Refuses what cannot go together.
 */
export type FleetChoice =
  ({ kind: 'databases' | 'schemas'; pattern: string } & FleetRun) | ({ kind: 'targets'; targets: Target[] } & FleetRun);

export interface FleetRun {
  jobs: number;
  failFast: boolean;
  canary: number;
}

export function resolveFleet(flags: FleetFlags & TargetFlags, env: NodeJS.ProcessEnv = process.env): FleetChoice | undefined {
  const named = (['databases', 'schemas', 'targets'] as const).filter((k) => flags[k] !== undefined);
  if (named.length > 1)
    throw new UsageError(`give one of --databases, --schemas and --targets, not ${named.map((k) => `--${k}`).join(' and ')}`);
  if (named.length === 0) {
    for (const [flag, given] of [
      ['--jobs', flags.jobs !== undefined],
      ['--fail-fast', flags.failFast],
      ['--canary', flags.canary !== undefined],
    ] as const)
      if (given) throw new UsageError(`${flag} is for a fleet: give --databases PATTERN, --schemas PATTERN or --targets FILE`);
    return undefined;
  }
  const run: FleetRun = {
    jobs: positive(flags.jobs, '--jobs') ?? 4,
    failFast: Boolean(flags.failFast),
    canary: positive(flags.canary, '--canary') ?? 0,
  };
  if (flags.targets !== undefined) {
    if (flags.dsn || flags.embedded) throw new UsageError('--targets lists the databases: give no --dsn or --embedded with it');
    return { kind: 'targets', targets: readTargets(flags.targets, env), ...run };
  }
  const kind = named[0] as 'databases' | 'schemas';
  const pattern = flags[kind]!;
  if (pattern === '') throw new UsageError(`--${kind} expects a LIKE pattern, such as 'tenant_%'`);
  return { kind, pattern, ...run };
}

function positive(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 1)
    throw new UsageError(`${flag} expects a whole number of 1 or more, got "${value}"`);
  return n;
}

/**
 * `--targets FILE` (`-`: standard input): a connection string per line (a URI or libpq's
 * key/value pairs), resolved as libpq resolves it (service file, PG* variables); blank lines and
 * lines starting with `#` are skipped. Two lines that reach the same database (host, port and
 * database) are refused: they would share a record and a run lock. Errors name the file and line.
 */
export function readTargets(file: string, env: NodeJS.ProcessEnv = process.env): Target[] {
  const where = file === '-' ? 'standard input' : file;
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    throw new UsageError(`--targets: cannot read ${where}: ${(e as Error).message}`);
  }
  const targets: Target[] = [];
  const seen = new Map<string, number>();
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const at = `${where}:${i + 1}`;
    const target = targetFrom(line, at, env);
    const { info } = target;
    const key = `${info.hostaddr ?? info.host ?? ''}:${info.port ?? ''}/${info.dbname ?? info.user ?? ''}`;
    const before = seen.get(key);
    if (before !== undefined)
      throw new ConnectionSettingsError(
        at,
        `the same database as line ${before} (${target.display}): each target has one record and one run lock`,
      );
    seen.set(key, i + 1);
    targets.push(target);
  }
  if (targets.length === 0)
    throw new UsageError(`--targets: no connection string in ${where}`, {
      hint: 'one per line; blank lines and lines starting with # are skipped',
    });
  return targets;
}
