/**
 * The baseline: every patch present recorded `assumed`, because the schema files a database was
 * just built from already contain what they did. Written by migrate's first run and by `load`
 * of the schema entry file, so that patches written later are the first to run.
 */
import type { Session } from '../db';
import { patchChecksum, type IncludeContext } from './checksums';
import type { PatchFile } from './files';
import { ensureRecord, writeRecords } from './recorder';

/**
 * `patches`: what findPatches finds (dated `.sql` files in the patches folder and its archive
 * folders, nothing else), each recorded with the checksum a run would record (its includes
 * covered, compiled with `context`).
 */
export async function recordBaseline(session: Session, schema: string, patches: PatchFile[], context?: IncludeContext): Promise<void> {
  await ensureRecord(session, schema);
  await writeRecords(
    session,
    schema,
    patches.map((p) => ({ name: p.name, status: 'assumed', checksum: patchChecksum(p.path, context) })),
  );
}
