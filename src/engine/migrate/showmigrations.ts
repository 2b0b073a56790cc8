/**
 * `showmigrations`: every patch and where it stands, read in one read-only transaction (nothing
 * set for the session: through a transaction pooler it would outlive the command, see pooler.ts).
 */
import { withSession, type Target } from '../db';
import { Checksums } from '../patches/checksums';
import { findPatches } from '../patches/files';
import { inReadOnlyTransaction } from '../patches/pooler';
import { readRecord, recordColumns } from '../patches/recorder';
import { patchStates, type PatchStatusRow } from '../patches/status';

export interface ShowOptions {
  target: Target;
  patchesDir: string;
  recordSchema?: string;
  /** Where checksums of unchanged files are cached; without it every file is hashed. */
  checksumCache?: string;
  /** Also who applied each patch, from where, and how long it took. */
  details?: boolean;
}

export interface ShowResult {
  database: string;
  recordSchema: string;
  /** False when the database has no schema_patch table yet: everything is pending. */
  hasRecord: boolean;
  patches: PatchStatusRow[];
}

export async function showMigrations(options: ShowOptions): Promise<ShowResult> {
  const schema = options.recordSchema ?? 'public';
  const patches = findPatches(options.patchesDir);
  const checksums = new Checksums(options.checksumCache);
  const { columns, record } = await withSession(options.target, (session) =>
    inReadOnlyTransaction(session, async () => {
      const columns = await recordColumns(session, schema);
      // The files are stat'ed while the server builds the record's text: on 2 cores the two overlap.
      const record = await readRecord(session, schema, {
        details: options.details,
        whileReading: () => checksums.prefetch(patches),
        columns,
      });
      return { columns, record };
    }),
  );
  const rows = patchStates(patches, record, checksums);
  return { database: options.target.display, recordSchema: schema, hasRecord: columns.size > 0, patches: rows };
}
