// migrate over the tenant schemas of one database (--schemas PATTERN, issue 22): each schema has
// its record and run lock, and its patches run with it first on the search_path.
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eachServer } from '../helpers/servers.mjs';
import { freshDatabase, query } from '../helpers/database.mjs';
import { exists, pgpatch, statuses } from '../helpers/project.mjs';
import { byName, fleetProject, outcomes, schemas } from './_fleet.mjs';

/** Unqualified names: each lands in the tenant's schema. */
const ITEM =
  "create table item (id int primary key, name text);\ncreate index item_name on item (name);\ninsert into log (name) values ('item');\n";
/** A patch's own search_path lasts until its end: the next patch finds the tenant's log again. */
const PATH = 'set search_path = pg_catalog;\nselect 1;\n';
const NAMED = "insert into log (name) values (:'SCHEMA');\n";
/** Several times what two runs of 8 jobs hold at once: every schema contended. Large fleets: bench/fleet.mjs. */
const FLEET = 40;

eachServer(
  test,
  `${FLEET} schemas, two fleet runs at once with --jobs 8: each patch applied once in each, in that schema; a re-run does nothing`,
  async (t, server) => {
    const db = await freshDatabase(t, server.url);
    const fleet = await schemas(db.url, FLEET);
    const p = fleetProject(t, { '2024-01-01_item.sql': ITEM, '2024-01-02_path.sql': PATH, '2024-01-03_named.sql': NAMED });
    const args = ['--schemas', fleet.pattern, '--jobs', '8', '--wait-for-run-lock', '300', '--json'];
    const runs = await Promise.all([pgpatch(p, db.url, 'migrate', args), pgpatch(p, db.url, 'migrate', args)]);
    for (const r of runs) t.is(r.code, 0, r.stderr);
    const results = runs.map((r) => byName(r.stdout));
    const patches = ['2024-01-01_item', '2024-01-02_path', '2024-01-03_named'];
    for (const name of fleet.names) {
      const applied = results.flatMap((r) => outcomes(r[name], 'applied')).sort();
      t.deepEqual(applied, patches, `${name}: between them, the runs applied each patch once`);
    }
    const { rows } = await query(
      db.url,
      `select log from (${fleet.names.map((s) => `select '${s}' as schema, string_agg(name, ',' order by id) as log from "${s}".log`).join(' union all ')}) x order by schema`,
    );
    t.deepEqual(
      rows.map((r) => r.log),
      fleet.names.map((s) => `item,${s}`),
    );
    const items = await query(db.url, "select count(*)::int as n from pg_class where relname = 'item' and relkind = 'r'");
    t.is(items.rows[0].n, FLEET, 'one item table per tenant, none elsewhere');
    t.false(await exists(db.url, 'public.item'));
    t.deepEqual(await statuses(db.url, fleet.names[7]), Object.fromEntries(patches.map((n) => [n, 'applied'])));
    const again = await pgpatch(p, db.url, 'migrate', ['--schemas', fleet.pattern, '--json']);
    t.is(again.code, 0, again.stderr);
    t.is(JSON.parse(again.stdout).counts.up_to_date, FLEET);
  },
);

eachServer(
  test,
  'tenants in every state: an empty schema is built, one with objects needs a baseline, a failed patch shows; the plan is the run',
  async (t, server) => {
    const db = await freshDatabase(t, server.url);
    const fleet = await schemas(db.url, 3);
    const [done, behind, failing] = fleet.names;
    const empty = `${fleet.prefix}_new`;
    const legacy = `${fleet.prefix}_old`;
    await query(db.url, `create schema ${empty}; create schema ${legacy}; create table ${legacy}.legacy (id int)`);
    const p = fleetProject(t, { '2024-01-01_item.sql': ITEM });
    for (const s of [done, failing]) t.is((await pgpatch(p, db.url, 'migrate', ['--schemas', s, '--no-input'])).code, 0);
    // A second patch, outside a transaction: it fails half-way on one tenant and is recorded failed there.
    p.patch('2024-01-02_index.sql', '-- pgpatch: no-transaction\ncreate index concurrently item_id2 on item (id);\n');
    await query(db.url, `create index item_id2 on ${failing}.item (name)`);
    writeFileSync(
      join(p.dir, 'schema', 'patches', '2024-01-02_index.pre.sh'),
      // Every tenant that runs the patch runs the script, at the same time: one line each.
      '#!/bin/sh\nprintf "%s\\n" "$PATCH_DSN" >> "$PWD/../../dsn-$PATCH_NAME.txt"\n',
      { mode: 0o755 },
    );

    const plan = await pgpatch(p, db.url, 'migrate', ['--schemas', `${fleet.prefix}\\_%`, '--plan', '--json']);
    t.is(plan.code, 2, 'the baseline a tenant needs is refused in the plan too');
    const view = await pgpatch(p, db.url, 'showmigrations', ['--schemas', `${fleet.prefix}\\_%`]);
    t.is(view.code, 0, view.stderr);
    t.regex(view.stdout, /^5 targets: 4 pending, 1 need a baseline$/m);
    t.regex(view.stdout, new RegExp(`no record yet \\(the next migrate builds it from the schema files\\): 1 target: ${empty}`));
    t.regex(view.stdout, new RegExp(`need a baseline \\(1\\): objects of their own and no record: ${legacy}`));

    const run = await pgpatch(p, db.url, 'migrate', ['--schemas', `${fleet.prefix}\\_%`, '--json']);
    t.is(run.code, 3, run.stderr);
    const ran = byName(run.stdout);
    const planned = byName(plan.stdout);
    for (const s of [done, behind, empty]) t.deepEqual(outcomes(planned[s], 'would_apply'), outcomes(ran[s], 'applied'), s);
    t.is(ran[legacy].status, 'needs_baseline');
    t.is(ran[failing].status, 'failed');
    t.is(ran[empty].result.firstRun.built, true);
    t.deepEqual(await statuses(db.url, empty), { '2024-01-01_item': 'assumed', '2024-01-02_index': 'assumed' });
    t.true(await exists(db.url, `${empty}.log`), 'the schema files were built in the tenant');
    t.deepEqual(await statuses(db.url, failing), { '2024-01-01_item': 'applied', '2024-01-02_index': 'failed/patch' });
    t.deepEqual(await statuses(db.url, behind), { '2024-01-01_item': 'applied', '2024-01-02_index': 'applied' });
    t.regex(
      readDsn(p),
      new RegExp(`options=-c%20search_path%3D${behind}%2Cpublic`),
      "the pre script's PATCH_DSN sets the tenant's search_path",
    );

    const after = await pgpatch(p, db.url, 'showmigrations', ['--schemas', `${fleet.prefix}\\_%`]);
    t.regex(after.stdout, /^5 targets: 3 up to date, 1 failed, 1 need a baseline$/m);
    t.regex(after.stdout, new RegExp(`${failing}: 2024-01-02_index: .*already exists`));
  },
);

function readDsn(p) {
  return readFileSyncSafe(join(p.dir, 'dsn-2024-01-02_index.txt'));
}

import { readFileSync } from 'node:fs';
function readFileSyncSafe(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

test('public and the system schemas are never tenants; --record-schema has no meaning with --schemas', async (t) => {
  const { mainServer } = await import('../helpers/database.mjs');
  const db = await freshDatabase(t, mainServer().url);
  const p = fleetProject(t);
  const none = await pgpatch(p, db.url, 'migrate', ['--schemas', '%']);
  t.is(none.code, 2);
  t.regex(none.stderr, /no schema of .* is LIKE '%'/);
  const record = await pgpatch(p, db.url, 'migrate', ['--schemas', '%', '--record-schema', 'x']);
  t.is(record.code, 2);
  t.regex(record.stderr, /--record-schema .* has no meaning/);
});
