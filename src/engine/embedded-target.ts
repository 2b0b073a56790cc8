/** `--embedded`: the project's own local server, and a database on it. */
import { displayPath } from '../output/text';
import { withSession, ident } from './db';
import { projectDataDir, startCluster } from './embedded';

export async function startEmbedded(projectDir: string, dbName: string, say: (line: string) => void): Promise<string> {
  const dataDir = projectDataDir(projectDir);
  const cluster = await startCluster({ dataDir });
  if (cluster.started) say(`pgpatch: started the embedded PostgreSQL (data in ${displayPath(dataDir)})`);
  await withSession({ connectionString: cluster.url, source: '--embedded' }, async (s) => {
    const exists = await s.query('select 1 from pg_database where datname = $1', [dbName]);
    if (exists.rowCount === 0) {
      await s.query(`create database ${ident(dbName)}`).catch((e) => {
        // Another run may have created it at the same moment.
        if (e.code !== '42P04') throw e;
      });
    }
  });
  const url = cluster.url.replace(/\/postgres$/, `/${encodeURIComponent(dbName)}`);
  say(`pgpatch: embedded database: ${url}`);
  return url;
}

export async function recreateDatabase(serverUrl: string, dbName: string): Promise<void> {
  await withSession({ connectionString: serverUrl, source: '--embedded' }, async (s) => {
    await s.query(`drop database if exists ${ident(dbName)} with (force)`);
    await s.query(`create database ${ident(dbName)}`);
  });
}
