// A fresh database per test on a real PostgreSQL server. The servers come from test/run.mjs
// (PGPATCH_TEST_URL, PGPATCH_TEST_URL_15); run a file alone with `npm test -- test/x.test.mjs`.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The test servers from test/run.mjs, main first (tests that run on each use servers.mjs's eachServer). */
export function servers() {
  const list = [];
  if (process.env.PGPATCH_TEST_URL) list.push({ label: 'pg18', url: process.env.PGPATCH_TEST_URL });
  if (process.env.PGPATCH_TEST_URL_15) list.push({ label: 'pg15', url: process.env.PGPATCH_TEST_URL_15 });
  if (list.length === 0) throw new Error('no test server: run the tests with `npm test` (it starts one) or set PGPATCH_TEST_URL');
  return list;
}

/** The main test server (PostgreSQL 18 unless PGPATCH_TEST_URL says otherwise). */
export function mainServer() {
  return servers()[0];
}

export function urlFor(serverUrl, dbName) {
  const u = new URL(serverUrl);
  u.pathname = `/${dbName}`;
  return u.toString();
}

export async function adminQuery(serverUrl, sql, params) {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

// The server's major, asked once per server: CREATE DATABASE's STRATEGY is 15+.
const majors = new Map();
function majorOf(serverUrl) {
  if (!majors.has(serverUrl)) {
    majors.set(
      serverUrl,
      adminQuery(serverUrl, `select current_setting('server_version_num')::int / 10000 as major`).then((r) => r.rows[0].major),
    );
  }
  return majors.get(serverUrl);
}

/** ` strategy file_copy` where the server has it (15+), for a CREATE DATABASE (see createDatabase). */
export async function copyStrategy(serverUrl) {
  return (await majorOf(serverUrl)) >= 15 ? ' strategy file_copy' : '';
}

/**
 * Creates an empty database; returns its URL and a function that drops it. On 15+ it copies
 * template1's files (FILE_COPY): the default, WAL_LOG, writes every block of template1 through
 * the WAL and shared buffers, and its drop must clear them: ~250 ms for the pair where the copy
 * and its drop take ~100 ms on the test servers (fsync off: the copy's checkpoints cost little).
 * Most tests make a database or more.
 */
export async function createDatabase(serverUrl, prefix = 't') {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  await adminQuery(serverUrl, `create database "${name}"${await copyStrategy(serverUrl)}`);
  return {
    name,
    url: urlFor(serverUrl, name),
    drop: () => adminQuery(serverUrl, `drop database if exists "${name}" with (force)`),
  };
}

/**
 * Gives every test of the file its own database as t.context.db ({ name, url }), dropped after
 * the test, also when it failed.
 */
export function useDatabase(test, serverUrl = () => mainServer().url) {
  test.beforeEach(async (t) => {
    t.context.db = await createDatabase(serverUrl(), 'pgpatch_test');
  });
  test.afterEach.always(async (t) => {
    await t.context.db?.drop();
  });
}

/** Runs one query on a database URL. */
export async function query(url, sql, params) {
  return adminQuery(url, sql, params);
}

/** A database for one test on `serverUrl`, dropped when the test ends (also when it failed). */
export async function freshDatabase(t, serverUrl, prefix = 'pgpatch_test') {
  const db = await createDatabase(serverUrl, prefix);
  t.teardown(() => db.drop());
  return db;
}

/** The environment of psql and pg_dump: nothing from the developer's own PG* settings or DATABASE_URL. */
export function cleanEnv() {
  const env = { ...process.env, PGCONNECT_TIMEOUT: '10' };
  for (const k of Object.keys(env)) if (/^PG/.test(k) && k !== 'PGCONNECT_TIMEOUT') delete env[k];
  delete env.DATABASE_URL;
  return env;
}
