/** Text for the embedded server: where it is, and when pgpatch started it. */
import type { EmbeddedDatabase } from '../engine/embedded';
import { say } from './terminal';
import { displayPath } from './text';

export function showEmbedded(db: EmbeddedDatabase): void {
  if (db.started) say(`pgpatch: started the embedded PostgreSQL (data in ${displayPath(db.dataDir)})`);
  say(`pgpatch: embedded database: ${db.target.display}`);
}

export function showScratchStarted(): void {
  say('pgpatch: started the embedded PostgreSQL for scratch databases');
}
