// What the benchmarks share: running a child process and timing it (wall and CPU), medians,
// the admin connection, the machine's description, and writing a block of bench/RESULTS.md.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import pg from 'pg';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Debian's psql binary itself: /usr/bin/psql is a Perl wrapper, ~40 ms slower to start. */
export const PSQL = '/usr/lib/postgresql/15/bin/psql';
export const RESULTS = join(ROOT, 'bench', 'RESULTS.md');

/** The command line: `flag('--rounds', 5)`, `has('--no-write')`, `option('--cli')`. */
export const args = process.argv.slice(2);
export const has = (name) => args.includes(name);
export const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
export const flag = (name, dflt) => {
  const v = option(name);
  return v === undefined ? dflt : Number(v);
};

/**
 * Child processes run without NODE_EXTRA_CA_CERTS (~95 ms per Node start here), nor libpq's PG*
 * or pgpatch's PGPATCH_* settings, except the checksum cache folder the bench chose.
 */
export function childEnv() {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.DATABASE_URL;
  for (const k of Object.keys(env)) if (k.startsWith('PG') && k !== 'PGPATCH_CACHE_DIR') delete env[k];
  return env;
}

/** GNU time, to read the user + system CPU time of a child (the wall time is measured here). */
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const cpuDir = mkdtempSync(join(tmpdir(), 'pgpatch-bench-cpu-'));
process.on('exit', () => rmSync(cpuDir, { recursive: true, force: true }));
let cpuCount = 0;

/**
 * Runs a command to its end: { ms, cpuMs, maxRssKb, stdout, stderr }; rejects on a non-zero exit.
 * `cpu: true` also reads its CPU time and peak memory (undefined without GNU time); `env` adds to childEnv().
 */
export function timed(cmd, argv, { cpu = false, env = {}, ...spawnOptions } = {}) {
  const cpuFile = join(cpuDir, `${++cpuCount}.txt`);
  if (cpu && GNU_TIME) {
    argv = ['-f', '%U %S %M', '-o', cpuFile, cmd, ...argv];
    cmd = GNU_TIME;
  }
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, argv, { env: { ...childEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...spawnOptions });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (code !== 0) return reject(new Error(`${cmd} ${argv.join(' ')} exited with ${code}:\n${stdout}\n${stderr}`));
      let cpuMs;
      let maxRssKb;
      if (cpu && GNU_TIME) {
        const [user, sys, rss] = readFileSync(cpuFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
        cpuMs = (user + sys) * 1000;
        maxRssKb = rss;
      }
      resolve({ ms, cpuMs, maxRssKb, stdout, stderr });
    });
  });
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const fmt = (ms) => `${Math.round(ms)} ms`;
export const list = (xs) => xs.map((x) => Math.round(x)).join(', ');

/** One statement on its own connection. */
export async function admin(url, sql) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

/** The URL of another database on the same server. */
export function dbUrl(serverUrl, name) {
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

export const loadAverage = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

/** "2 x AMD EPYC ..., 24 GiB": for the results. */
export function machine() {
  return `${cpus().length} x ${cpus()[0]?.model.trim() ?? 'unknown'}, ${Math.round(totalmem() / 2 ** 30)} GiB`;
}

/**
 * Replaces the block between `<!-- NAME:start` and `<!-- NAME:end -->` in bench/RESULTS.md
 * (`block` includes both markers), or appends it under `heading`; the rest of the file is kept.
 */
export function writeResults(name, block, heading) {
  const old = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '# Benchmark results\n';
  const re = new RegExp(`<!-- ${name}:start[\\s\\S]*?<!-- ${name}:end -->`);
  const text = re.test(old) ? old.replace(re, () => block) : `${old.replace(/\n*$/, '\n')}\n${heading}\n\n${block}\n`;
  writeFileSync(RESULTS, text);
  process.stderr.write(`bench: wrote ${RESULTS}\n`);
}

/**
 * A TCP proxy in this process that holds every chunk `delayMs` before passing it on, each way:
 * a server `2 x delayMs` away, roughly (tc netem is not available on these machines). Returns
 * the URL of the server through it.
 */
export async function startDelayProxy(serverUrl, delayMs) {
  const { createServer, connect } = await import('node:net');
  const target = new URL(serverUrl);
  const sockets = new Set();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    const pipe = (from, to) => {
      from.on('data', (d) => setTimeout(() => to.write(d), delayMs));
      from.on('end', () => setTimeout(() => to.end(), delayMs));
      from.on('error', () => to.destroy());
    };
    pipe(client, upstream);
    pipe(upstream, client);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const via = new URL(serverUrl);
  via.hostname = '127.0.0.1';
  via.port = String(server.address().port);
  return {
    url: via.toString(),
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
