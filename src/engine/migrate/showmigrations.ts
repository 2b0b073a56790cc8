/**
 * `showmigrations`: every patch and where it stands, read in one read-only transaction (nothing
 * set for the session: through a transaction pooler it would outlive the command, see pooler.ts).
 */
import { withSession, type Target } from '../db';
import { Checksums } from '../patches/checksums';
import { everyCandidate, notPatch, scanPatches, withRecorded, type NotPatch } from '../patches/files';
import { inReadOnlyTransaction } from '../patches/pooler';
import { BUILD_ROW, readRecord, recordColumns, recordPermissionError } from '../patches/recorder';
import { isoDate, patchStates, type PatchStatusRow } from '../patches/status';

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
  /**
   * Set when migrate's first-run build from the schema files failed or was interrupted: the
   * database is half-built, and migrate refuses it until it is recreated (patches is then empty:
   * none of them is pending, none applied).
   */
  halfBuilt?: { status: 'applying' | 'failed'; date: string; error: string | null };
  patches: PatchStatusRow[];
  /** `.sql` files that look meant as patches and are not: they never run (see files.ts). */
  notPatches: NotPatch[];
}

export async function showMigrations(options: ShowOptions): Promise<ShowResult> {
  const schema = options.recordSchema ?? 'public';
  const scan = scanPatches(options.patchesDir);
  const checksums = new Checksums(options.checksumCache);
  const { columns, record } = await withSession(options.target, (session) =>
    inReadOnlyTransaction(session, async () => {
      const columns = await recordColumns(session, schema);
      // The files are stat'ed while the server builds the record's text: on 2 cores the two overlap.
      const record = await readRecord(session, schema, {
        details: options.details,
        whileReading: () => checksums.prefetch(everyCandidate(scan)),
        columns,
      });
      return { columns, record };
    }),
  ).catch(async (e: unknown) => {
    throw (await recordPermissionError(options.target, schema, e)) ?? e;
  });
  const { patches, strays } = withRecorded(scan, (name) => record.has(name));
  const result: ShowResult = {
    database: options.target.display,
    recordSchema: schema,
    hasRecord: columns.size > 0,
    patches: [],
    notPatches: strays.map(notPatch),
  };
  const build = record.get(BUILD_ROW);
  if (build) {
    result.halfBuilt = { status: build.status === 'failed' ? 'failed' : 'applying', date: isoDate(build.statusDate), error: build.error };
    return result;
  }
  result.patches = patchStates(patches, record, checksums);
  return result;
}
