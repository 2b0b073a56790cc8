#!/usr/bin/env node
// The round-trip rate of `pgpatch diff` over its corpus (test/diff/corpus/*.sql, issue 14):
// for every case, diff(A, B) applied to A must give B, and diff(B, A) applied to B give A, by
// the schema model (column order aside). Each direction counts once. Failures are listed by cause.
//
//   npx tsc -p tsconfig.json && node bench/diff-roundtrip.mjs [--no-write] [--pg15] [--only TEXT]
//
// Runs on a throwaway PostgreSQL 18 cluster (with --pg15, Debian's PostgreSQL 15 too), or on the
// servers of PGPATCH_TEST_URL (and PGPATCH_TEST_URL_15 with --pg15) when set. On PostgreSQL 15
// the round trip also compares pg_dump (see _roundtrip.mjs). With --verbose, the SQL of each
// failure and what was left. The figures go between the diff-roundtrip markers in bench/RESULTS.md.
import { startTestCluster, PG15_BIN, hasPg15 } from '../test/helpers/clusters.mjs';
import { corpusCases, roundTrip } from '../test/diff/_roundtrip.mjs';
import { has, option, writeResults } from './lib.mjs';

const given = (url) => ({ url, stop: async () => undefined });
const clusters = [
  ['PostgreSQL 18', process.env.PGPATCH_TEST_URL ? given(process.env.PGPATCH_TEST_URL) : await startTestCluster('pg18'), 18],
];
if (has('--pg15') && (process.env.PGPATCH_TEST_URL_15 || hasPg15()))
  clusters.push([
    'PostgreSQL 15',
    process.env.PGPATCH_TEST_URL_15 ? given(process.env.PGPATCH_TEST_URL_15) : await startTestCluster('pg15', PG15_BIN),
    15,
  ]);
const lines = [];
try {
  for (const [label, cluster, major] of clusters) {
    const cases = corpusCases().filter((c) => !option('--only') || `${c.file}: ${c.name}`.includes(option('--only')));
    let ok = 0;
    const failures = [];
    for (const c of cases) {
      const r = await roundTrip(cluster.url, c, major);
      for (const [way, x] of [
        ['A -> B', r.forward],
        ['B -> A', r.backward],
      ]) {
        if (x.ok) ok++;
        else {
          failures.push(`${c.file}: ${c.name} (${way}): ${x.cause.split('\n')[0]}`);
          if (has('--verbose')) process.stderr.write(`--- ${c.name} ${way}: ${x.cause}\n${x.sql}\n${(x.left ?? []).join('\n')}\n`);
        }
      }
    }
    const total = cases.length * 2;
    lines.push(`${label}: ${ok} of ${total} round trips (${cases.length} cases, both ways): ${((100 * ok) / total).toFixed(1)}%`);
    for (const f of failures) lines.push(`  - ${f}`);
  }
} finally {
  for (const [, c] of clusters) await c.stop();
}
process.stdout.write(lines.join('\n') + '\n');
if (!has('--no-write') && !option('--only')) {
  const block = [
    '<!-- diff-roundtrip:start (written by bench/diff-roundtrip.mjs) -->',
    '',
    `\`node bench/diff-roundtrip.mjs --pg15\`, ${new Date().toISOString().slice(0, 10)}:`,
    '',
    '```',
    ...lines,
    '```',
    '',
    '<!-- diff-roundtrip:end -->',
  ].join('\n');
  writeResults('diff-roundtrip', block, '## diff: round trip over the corpus (issue 14)');
}
