// Throwaway PostgreSQL clusters for the test run: the embedded PostgreSQL 18 and, where Debian's
// PostgreSQL 15 server is installed, a second cluster of that major.
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster } from 'pgpatch';

export const PG15_BIN = '/usr/lib/postgresql/15/bin';

/**
 * `fast: false` keeps fsync on; `parent` is where the data folder goes (the system's temporary
 * folder by default; the migrate bench uses /dev/shm, as issue 15 measured: tmpfs, fsync on).
 */
export async function startTestCluster(label, binDir, { fast = true, parent = tmpdir() } = {}) {
  const dir = mkdtempSync(join(parent, `pgpatch-${label}-`));
  // The server may run as another user (postgres, when we are root): let it into the folder.
  chmodSync(dir, 0o755);
  const cluster = await startCluster({ dataDir: join(dir, 'data'), binDir, fast });
  return {
    url: cluster.url,
    dataDir: join(dir, 'data'),
    async stop() {
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function hasPg15() {
  return existsSync(join(PG15_BIN, 'postgres'));
}
