// Fleets for the tests: many databases made quickly from a template, or many tenant schemas in
// one database, each with an empty record (so that patches are applied, not assumed), all
// dropped when the test ends.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { adminQuery, copyStrategy, urlFor } from '../helpers/database.mjs';
import { LOG_TABLE, makeProject } from '../helpers/project.mjs';

const pad = (i) => String(i).padStart(3, '0');

/** One connection for a series of statements. */
async function onConnection(url, fn) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A project (cleaned up after the test) and the empty record its patches start from. */
export function fleetProject(t, patches = {}) {
  const p = makeProject({ database: LOG_TABLE, patches });
  t.teardown(() => p.cleanup());
  return p;
}

/**
 * `count` databases `<prefix>_000` ... on the server, each with the log table and an empty
 * record, copied from a template made once. Returns { prefix, pattern, names, url(name), query(name, sql) }.
 */
export async function databases(t, serverUrl, count) {
  const prefix = `fl${randomBytes(3).toString('hex')}`;
  const template = `${prefix}tpl`;
  const names = Array.from({ length: count }, (_, i) => `${prefix}_${pad(i)}`);
  t.teardown(() =>
    onConnection(serverUrl, async (c) => {
      for (const name of [...names, template]) await c.query(`drop database if exists "${name}" with (force)`);
    }),
  );
  const strategy = await copyStrategy(serverUrl);
  await adminQuery(serverUrl, `create database "${template}"${strategy}`);
  await adminQuery(urlFor(serverUrl, template), `${LOG_TABLE}${RECORD('public')}`);
  await onConnection(serverUrl, async (c) => {
    for (const name of names) await c.query(`create database "${name}" template "${template}"${strategy}`);
  });
  return {
    prefix,
    pattern: `${prefix}\\_%`,
    names,
    url: (name) => urlFor(serverUrl, name),
    query: (name, sql, params) => adminQuery(urlFor(serverUrl, name), sql, params),
  };
}

/** An empty record in `schema`, with every column migrate writes (so that no run has to add them). */
export function RECORD(schema) {
  return `create table "${schema}".schema_patch (
    name text primary key,
    status text not null check (status in ('applying', 'applied', 'skipped', 'failed', 'assumed')),
    status_date timestamptz not null default now(),
    stage text check (stage in ('pre', 'patch', 'post')), checksum text, duration_ms integer,
    applied_by text default session_user, application_name text default current_setting('application_name'),
    error text, ran_as text);\n`;
}

/**
 * `count` tenant schemas `<prefix>_000` ... in the database at `url`, each with its log table
 * and an empty record. Returns { prefix, pattern, names }.
 */
export async function schemas(url, count) {
  const prefix = `tn${randomBytes(3).toString('hex')}`;
  const names = Array.from({ length: count }, (_, i) => `${prefix}_${pad(i)}`);
  const sql = names.map((s) => `create schema "${s}";\n${LOG_TABLE.replace('table log', `table "${s}".log`)}${RECORD(s)}`).join('');
  await adminQuery(url, sql);
  return { prefix, pattern: `${prefix}\\_%`, names };
}

/** The targets of a `--json` fleet result, by name. */
export function byName(stdout) {
  return Object.fromEntries(JSON.parse(stdout).targets.map((x) => [x.name, x]));
}

/** Patch names a fleet target's result has with `status` (applied, would_apply ...). */
export function outcomes(target, status) {
  return (target.result?.outcomes ?? []).filter((o) => o.status === status).map((o) => o.name);
}
