// Shared by the trust-*.test.mjs files: a project with a record in a fresh database on the
// server eachServer gives the test (PostgreSQL 18 and 15), both removed after the test.
import { createDatabase } from '../helpers/database.mjs';
import { initRecord, LOG_TABLE, makeProject } from '../helpers/project.mjs';

/** { p, url } on `server`; with `record: false`, the database is left without a record. */
export async function trustProject(t, server, { database = LOG_TABLE, record = true } = {}) {
  const db = await createDatabase(server.url, 'pgpatch_trust');
  const p = makeProject({ database });
  t.teardown(async () => {
    p.cleanup();
    await db.drop();
  });
  if (record) await initRecord(p, db.url);
  return { p, url: db.url };
}

/** The log table's names, in order. */
export const LOG = 'select name from log order by id';
