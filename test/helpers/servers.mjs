// Test bodies run once per test server: the main one (PGPATCH_TEST_URL, PostgreSQL 18) and
// PostgreSQL 15 (PGPATCH_TEST_URL_15), so catalog queries are proven on both majors without a
// copy of each test. A server that is absent gives a visible skip, not silence.
//
//   import { eachServer } from '../helpers/servers.mjs';
//   eachServer(test, 'what it proves', async (t, server) => { ... server.url, server.version ... });
//
// registers `what it proves (PostgreSQL 18)` and `what it proves (PostgreSQL 15)`. The server is
// also t.context.server, for helpers that create databases or roles on "the test's server".
import { adminQuery } from './database.mjs';

const SLOTS = [
  { label: 'pg18', env: 'PGPATCH_TEST_URL', expected: 18 },
  { label: 'pg15', env: 'PGPATCH_TEST_URL_15', expected: 15 },
];

/**
 * PGPATCH_TEST_MAJORS (e.g. `15`) leaves the slots of the other majors out: CI runs the tests
 * written for each server on 18 with one Node and on 15 with the other. The main server (18)
 * still serves the tests written for it alone.
 */
function wantedMajor(major) {
  const wanted = process.env.PGPATCH_TEST_MAJORS;
  return !wanted || wanted.split(',').some((m) => Number(m.trim()) === major);
}

/**
 * Every slot as { label, env, url, version, major } (version: server_version_num, asked of the
 * server itself, so a guard on it is true of the server the test runs on), or, for a slot whose
 * variable is unset, { label, env, url: null, major: the major the slot is for }.
 */
export const SLOT_SERVERS = await Promise.all(
  SLOTS.map(async ({ label, env, expected }) => {
    const url = process.env[env];
    if (!url || !wantedMajor(expected)) return { label, env, url: null, major: expected };
    const version = Number((await adminQuery(url, "select current_setting('server_version_num') as v")).rows[0].v);
    return { label, env, url, version, major: Math.floor(version / 10000) };
  }),
);

/** The servers that are there, main first. */
export const testServers = SLOT_SERVERS.filter((s) => s.url);

/** The title suffix of a server: `PostgreSQL 18`; the variable is added when two slots share a major. */
export function serverName(server) {
  const twin = SLOT_SERVERS.some((s) => s !== server && s.url && s.major === server.major);
  return `PostgreSQL ${server.major}${twin ? `, ${server.env}` : ''}`;
}

/**
 * `test(\`${title} (PostgreSQL N)\`, (t) => fn(t, server))` for every test server; a visible skip
 * naming the variable for a server that is not there. `only`: labels of the slots to run on.
 */
export function eachServer(test, title, fn, { only } = {}) {
  for (const server of SLOT_SERVERS) {
    if (only && !only.includes(server.label)) continue;
    if (!server.url) {
      const why =
        process.env.PGPATCH_TEST_MAJORS?.split(',').includes(String(server.major)) === false
          ? 'not in PGPATCH_TEST_MAJORS'
          : `${server.env} is unset`;
      test.skip(`${title} (PostgreSQL ${server.major}): no such test server, ${why}`, () => undefined);
      continue;
    }
    test(`${title} (${serverName(server)})`, (t) => {
      t.context.server = server;
      return fn(t, server);
    });
  }
}

/** The server a test registered by eachServer runs on; `fallback` (default: the main one) otherwise. */
export function serverOf(t, fallback = testServers[0]) {
  const server = t.context?.server ?? fallback;
  if (!server) throw new Error('no test server: run the tests with `node test/run.mjs` (it starts them) or set PGPATCH_TEST_URL');
  return server;
}
