#!/usr/bin/env node
// Runs the test suite against throwaway clusters started once for the whole run, and stopped at
// the end whatever happens. PGPATCH_TEST_URL (and PGPATCH_TEST_URL_15) given from outside are used
// instead: a server where the tests may CREATE DATABASE. PGPATCH_TEST_MAJORS (`18`, `15`, default
// both) says on which majors the tests written for each server run (servers.mjs); the others
// skip, visibly. The tests written for the main server alone run on 18 whatever it says.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasPg15, PG15_BIN, startTestCluster } from './helpers/clusters.mjs';

const started = [];
// The CLI caches patch checksums in the user's cache folder: tests keep theirs apart, and remove it.
const cacheDir = mkdtempSync(join(tmpdir(), 'pgpatch-test-cache-'));
// As root, the embedded server of a project in a private folder (every test project) keeps its
// data in PGPATCH_SERVER_DIR: one of the run's own, not the machine's /var/lib/pgpatch.
const serverDir = mkdtempSync(join(tmpdir(), 'pgpatch-test-servers-'));
chmodSync(serverDir, 0o755);
const stopAll = async () => {
  for (const c of started.splice(0)) await c.stop().catch(() => undefined);
  rmSync(cacheDir, { recursive: true, force: true });
  rmSync(serverDir, { recursive: true, force: true });
};
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => stopAll().then(() => process.exit(130)));
}

let code = 1;
try {
  const env = { ...process.env };
  // Extra CA certificates cost every Node start ~70 ms of CPU here (the suite starts thousands:
  // test workers, the CLI, scripts) and no test reaches a server they would vouch for.
  delete env.NODE_EXTRA_CA_CERTS;
  env.PGPATCH_CACHE_DIR ??= cacheDir;
  env.PGPATCH_SERVER_DIR ??= serverDir;
  if (!env.PGPATCH_TEST_URL) {
    const c = await startTestCluster('pg18');
    started.push(c);
    env.PGPATCH_TEST_URL = c.url;
  }
  const majors = (env.PGPATCH_TEST_MAJORS ?? '18,15').split(',').map((m) => m.trim());
  if (!env.PGPATCH_TEST_URL_15 && majors.includes('15') && hasPg15()) {
    const c = await startTestCluster('pg15', PG15_BIN);
    started.push(c);
    env.PGPATCH_TEST_URL_15 = c.url;
  }
  process.stderr.write(
    `test servers: ${env.PGPATCH_TEST_URL}${env.PGPATCH_TEST_URL_15 ? `, ${env.PGPATCH_TEST_URL_15} (PostgreSQL 15)` : majors.includes('15') ? ' (no PostgreSQL 15 on this machine)' : ''}; the tests of each server on PostgreSQL ${majors.join(' and ')}\n`,
  );
  const ava = fileURLToPath(new URL('../node_modules/ava/entrypoints/cli.mjs', import.meta.url));
  code = await new Promise((resolve) => {
    const child = spawn(process.execPath, [ava, ...process.argv.slice(2)], { stdio: 'inherit', env });
    child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0)));
  });
} catch (e) {
  process.stderr.write(`could not start the test servers: ${e.stack ?? e}\n`);
} finally {
  await stopAll();
}
process.exit(code);
