#!/usr/bin/env node
// Benchmark of migrate over a fleet (issue 22, "Speed and memory").
//
//   npm run bench:fleet            (builds, then runs this file)
//   node bench/fleet.mjs [--rounds N] [--loop-rounds N] [--databases N] [--schemas N] [--jobs N] [--no-write]
//
// On a throwaway PostgreSQL 15 cluster with its data on tmpfs (/dev/shm), fsync on:
// 1. 100 databases, each with a record and its patch applied: a no-op `migrate --databases`
//    (target ≤ 2 s), beside what a team would do without it, in the same run: a shell loop of
//    single `pgpatch migrate --dsn` runs over the same databases, sequential and with
//    `xargs -P 8`; and a loop of `psql -c 'select 1'`, the floor of visiting each database
//    from a shell.
// 2. 1,000 tenant schemas of one database: a no-op `migrate --schemas` (target ≤ 2 s), and one
//    small patch (a table and an index) applied to every tenant (target ≤ 20 s; each round adds
//    a new patch), with the peak memory of the process (target ≤ 150 MB).
// While each fleet command runs, pg_stat_activity is sampled every 10 ms: the most connections
// pgpatch had open at once, against --jobs + 1 (the listing, then the pooler check or lock watch),
// or 2 x --jobs + 1 where patches are applied (each target's run lock moves to a connection of its own).
// The figures go between the fleet markers in bench/RESULTS.md; the rest of the file is kept.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PG15_BIN, startTestCluster } from '../test/helpers/clusters.mjs';
import { admin, dbUrl, flag, fmt, has, list, loadAverage, machine, median, PSQL, ROOT, timed, writeResults } from './lib.mjs';

const CLI = join(ROOT, 'dist', 'cli.js');
const ROUNDS = flag('--rounds', 5);
const LOOP_ROUNDS = flag('--loop-rounds', 1);
const DATABASES = flag('--databases', 100);
const SCHEMAS = flag('--schemas', 1000);
const JOBS = flag('--jobs', 8);
const WRITE = !has('--no-write');
const SHM = existsSync('/dev/shm') ? '/dev/shm' : undefined;
const TARGETS = { noopDatabases: 2000, noopSchemas: 2000, applySchemas: 20000, rssMb: 150 };

const pad = (i, n = 4) => String(i).padStart(n, '0');
const patchText = (i) =>
  `create table bench_t${pad(i, 2)} (id bigint primary key, name text not null, created_at timestamptz not null default now());\n` +
  `create index bench_t${pad(i, 2)}_name_idx on bench_t${pad(i, 2)} (name);\n`;

/** The most connections of pgpatch (application_name pgpatch ...) open at once while `fn` runs. */
async function withConnectionCount(serverUrl, fn) {
  const client = new pg.Client({ connectionString: serverUrl, application_name: 'bench sampler' });
  await client.connect();
  let most = 0;
  let running = true;
  const sample = (async () => {
    while (running) {
      const { rows } = await client.query("select count(*)::int as n from pg_stat_activity where application_name like 'pgpatch%'");
      most = Math.max(most, rows[0].n);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  try {
    const result = await fn();
    return { ...result, connections: most };
  } finally {
    running = false;
    await sample;
    await client.end();
  }
}

const fleetRun = (cluster, project, args) =>
  withConnectionCount(cluster.url, () =>
    timed(process.execPath, [CLI, 'migrate', '--dsn', cluster.url, ...args, '--jobs', String(JOBS)], { cwd: project, cpu: true }),
  );

async function main() {
  const cluster = await startTestCluster('bench-fleet', PG15_BIN, { fast: false, parent: SHM });
  const work = mkdtempSync(join(tmpdir(), 'pgpatch-bench-fleet-'));
  try {
    const serverVersion = (await admin(cluster.url, 'show server_version')).rows[0].server_version;
    const project = join(work, 'project');
    mkdirSync(join(project, 'schema', 'patches'), { recursive: true });
    writeFileSync(join(project, 'schema', 'database.sql'), '');
    writeFileSync(join(project, 'schema', 'patches', '2024-01-01_00_bench.sql'), patchText(0));

    // 1. The databases: records from a first run on empty databases (all assumed), copied from a template.
    process.stderr.write(`bench: creating ${DATABASES} databases\n`);
    await admin(cluster.url, 'create database bench_tpl');
    await timed(process.execPath, [CLI, 'migrate', '--dsn', dbUrl(cluster.url, 'bench_tpl')], { cwd: project });
    const names = Array.from({ length: DATABASES }, (_, i) => `bench_${pad(i)}`);
    for (const name of names) await admin(cluster.url, `create database ${name} template bench_tpl`);
    const urls = names.map((n) => dbUrl(cluster.url, n));
    writeFileSync(join(work, 'urls.txt'), urls.join('\n') + '\n');
    const d = { fleet: [], sequential: [], xargs: [], psql: [] };
    for (let round = 1; round <= ROUNDS; round++) {
      d.fleet.push(await fleetRun(cluster, project, ['--databases', 'bench\\_%']));
      process.stderr.write(`bench: round ${round}/${ROUNDS}: no-op over ${DATABASES} databases ${fmt(d.fleet.at(-1).ms)}\n`);
    }
    for (let round = 1; round <= LOOP_ROUNDS; round++) {
      const loop = `for u in $(cat ../urls.txt); do "${process.execPath}" "${CLI}" migrate --dsn "$u" 2>/dev/null || exit 1; done`;
      d.sequential.push(await timed('sh', ['-c', loop], { cwd: project }));
      const xargs = `xargs -P 8 -I{} "${process.execPath}" "${CLI}" migrate --dsn {} < ../urls.txt 2>/dev/null`;
      d.xargs.push(await timed('sh', ['-c', xargs], { cwd: project }));
      const psql = `for u in $(cat ../urls.txt); do ${PSQL} -X -q -c 'select 1' "$u" >/dev/null || exit 1; done`;
      d.psql.push(await timed('sh', ['-c', psql], { cwd: project }));
      process.stderr.write(
        `bench: loops: sequential ${fmt(d.sequential.at(-1).ms)}, xargs -P 8 ${fmt(d.xargs.at(-1).ms)}, psql ${fmt(d.psql.at(-1).ms)}\n`,
      );
    }

    // 2. The schemas: each with an empty record, in chunks (one transaction takes a lock per table).
    process.stderr.write(`bench: creating ${SCHEMAS} schemas\n`);
    await admin(cluster.url, 'create database bench_tenants');
    const tenants = dbUrl(cluster.url, 'bench_tenants');
    const record = (s) =>
      `create table ${s}.schema_patch (name text primary key, status text not null, status_date timestamptz not null default now(), stage text, checksum text, duration_ms integer, applied_by text default session_user, application_name text default current_setting('application_name'), error text, ran_as text);`;
    for (let from = 0; from < SCHEMAS; from += 100) {
      const chunk = Array.from({ length: Math.min(100, SCHEMAS - from) }, (_, i) => `t_${pad(from + i)}`);
      await admin(tenants, chunk.map((s) => `create schema ${s}; ${record(s)}`).join('\n'));
    }
    const s = { apply: [], noop: [] };
    for (let round = 1; round <= ROUNDS; round++) {
      writeFileSync(join(project, 'schema', 'patches', `2024-01-02_${pad(round, 2)}_bench.sql`), patchText(round));
      s.apply.push(await fleetRunOn(tenants, project));
      const applied = (await admin(tenants, `select count(*)::int as n from pg_class where relname = 'bench_t${pad(round, 2)}'`)).rows[0].n;
      if (applied !== SCHEMAS) throw new Error(`round ${round}: the patch made ${applied} tables, not ${SCHEMAS}`);
      s.noop.push(await fleetRunOn(tenants, project));
      process.stderr.write(
        `bench: round ${round}/${ROUNDS}: one patch over ${SCHEMAS} schemas ${fmt(s.apply.at(-1).ms)}, no-op ${fmt(s.noop.at(-1).ms)}\n`,
      );
    }

    const ms = (xs) => median(xs.map((x) => x.ms));
    const all = (xs) => list(xs.map((x) => x.ms));
    const rss = (xs) => Math.round(Math.max(...xs.map((x) => x.maxRssKb ?? NaN)) / 1024);
    const conns = (xs) => Math.max(...xs.map((x) => x.connections));
    const verdict = (value, target) => `${value <= target ? 'met' : 'MISSED'}`;
    // A target that applies patches holds two connections (its session and the run lock's keeper).
    const fleetRow = (what, xs, target, most = JOBS + 1) =>
      `| ${what} | ${fmt(ms(xs))} (target ≤ ${target / 1000} s: ${verdict(ms(xs), target)}) | ${fmt(median(xs.map((x) => x.cpuMs ?? NaN)))} | ${rss(xs)} MB (≤ ${TARGETS.rssMb} MB: ${verdict(rss(xs), TARGETS.rssMb)}) | ${conns(xs)} (≤ ${most}: ${verdict(conns(xs), most)}) | ${all(xs)} |`;
    const floor = ms(d.psql);
    const block = [
      '<!-- fleet:start (written by bench/fleet.mjs) -->',
      `Run on ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} with \`npm run bench:fleet\` (\`node bench/fleet.mjs\`; ${ROUNDS} rounds of the fleet commands, medians; ${LOOP_ROUNDS} of the shell loops; \`--jobs ${JOBS}\`).`,
      '',
      `| fleet command (\`node dist/cli.js migrate --dsn URL ... --jobs ${JOBS}\`) | median wall time | client CPU | peak memory (max) | most connections at once | all rounds (ms) |`,
      '|---|---:|---:|---:|---:|---|',
      fleetRow(`\`--databases 'bench\\_%'\`: ${DATABASES} databases, nothing to do`, d.fleet, TARGETS.noopDatabases),
      fleetRow(`\`--schemas '%'\`: ${SCHEMAS} tenant schemas, nothing to do`, s.noop, TARGETS.noopSchemas),
      fleetRow(
        `\`--schemas '%'\`: ${SCHEMAS} tenant schemas, one patch each (a table and an index)`,
        s.apply,
        TARGETS.applySchemas,
        2 * JOBS + 1,
      ),
      '',
      `| the same ${DATABASES} databases, nothing to do, from a shell | wall time | / fleet | / psql loop | all rounds (ms) |`,
      '|---|---:|---:|---:|---|',
      `| \`migrate --databases 'bench\\_%' --jobs ${JOBS}\` (above) | ${fmt(ms(d.fleet))} | 1.0x | ${(ms(d.fleet) / floor).toFixed(2)}x | ${all(d.fleet)} |`,
      `| \`for u in $(cat ../urls.txt); do pgpatch migrate --dsn "$u"; done\` | ${fmt(ms(d.sequential))} | ${(ms(d.sequential) / ms(d.fleet)).toFixed(1)}x | ${(ms(d.sequential) / floor).toFixed(2)}x | ${all(d.sequential)} |`,
      `| \`xargs -P 8 -I{} pgpatch migrate --dsn {} < urls.txt\` | ${fmt(ms(d.xargs))} | ${(ms(d.xargs) / ms(d.fleet)).toFixed(1)}x | ${(ms(d.xargs) / floor).toFixed(2)}x | ${all(d.xargs)} |`,
      `| \`for u in $(cat ../urls.txt); do psql -X -q -c 'select 1' "$u"; done\` (the floor of visiting each) | ${fmt(floor)} | ${(floor / ms(d.fleet)).toFixed(1)}x | 1.00x | ${all(d.psql)} |`,
      '',
      `Machine: ${machine()}, shared with other work (load average at the end: ${loadAverage()}).`,
      `Node ${process.version}; server PostgreSQL ${serverVersion} (Debian's, data ${SHM ? 'on tmpfs (/dev/shm)' : 'in the temporary folder'}, fsync on); psql ${PSQL}.`,
      'Connections: the most `pgpatch ...` sessions in pg_stat_activity at once, sampled every 10 ms while the command ran.',
      '<!-- fleet:end -->',
    ].join('\n');
    process.stdout.write(block + '\n');
    if (WRITE) writeResults('fleet', block, '## fleet');
  } finally {
    await cluster.stop();
    rmSync(work, { recursive: true, force: true });
  }

  function fleetRunOn(url, project) {
    return withConnectionCount(cluster.url, () =>
      timed(process.execPath, [CLI, 'migrate', '--dsn', url, '--schemas', '%', '--jobs', String(JOBS)], { cwd: project, cpu: true }),
    );
  }
}

main().catch((e) => {
  process.stderr.write(`bench: ${e.stack ?? e}\n`);
  process.exit(1);
});
