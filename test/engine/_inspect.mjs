// Shared by the schema-model tests (inspect*.test.mjs): two fresh databases built from SQL, their
// models, and the differences between them. Not a test file (no .test.mjs suffix).
// Databases and roles are made on the test's server (t.context.server, set by eachServer in
// test/helpers/servers.mjs), so the same test body runs on PostgreSQL 18 and 15.
import { randomBytes } from 'node:crypto';
import { connect, compareModels, inspectDatabase, targetFrom } from 'pgpatch';
import { adminQuery, createDatabase, query } from '../helpers/database.mjs';
import { serverOf } from '../helpers/servers.mjs';

export const LABELS = { expected: 'in the schema files', actual: 'after the patches' };

/** The schema model of the database at `url`. */
export async function modelOf(url, options) {
  const session = await connect(targetFrom(url, 'test'));
  try {
    return await inspectDatabase(session, options);
  } finally {
    await session.end();
  }
}

/** A fresh database, dropped when the test ends. */
export async function database(t, serverUrl = serverOf(t).url) {
  const db = await createDatabase(serverUrl, 'pgpatch_inspect');
  t.teardown(() => db.drop());
  return db;
}

/**
 * Builds database A from `common` + `expected` and database B from `common` + `actual`
 * (functions of the role names, or SQL text), and returns compareModels(A, B).
 */
export async function differences(t, { common = '', expected = '', actual = '', labels = LABELS, serverUrl } = {}) {
  const [a, b] = await Promise.all([database(t, serverUrl), database(t, serverUrl)]);
  await Promise.all([query(a.url, common + ';\n' + expected), query(b.url, common + ';\n' + actual)]);
  const [ma, mb] = await Promise.all([modelOf(a.url), modelOf(b.url)]);
  return compareModels(ma, mb, labels);
}

export function messages(diffs) {
  return diffs.map((d) => d.message);
}

/**
 * A role with a name no other test uses (roles are cluster-wide), dropped after the test's
 * databases: a role that still has privileges in a database cannot be dropped.
 */
export async function role(t, purpose, attributes = 'nologin') {
  const name = `pgpatch_${purpose}_${randomBytes(3).toString('hex')}`;
  const server = serverOf(t).url;
  await adminQuery(server, `create role ${name} ${attributes}`);
  // Registered before the databases of the test, so it runs after their drop (teardowns run last-first).
  t.teardown(() => adminQuery(server, `drop role if exists ${name}`).catch(() => undefined));
  return name;
}
