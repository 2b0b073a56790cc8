// migrate over a fleet of databases (--databases PATTERN, issue 22): each database a migrate of
// its own, several at a time; one that fails never stops the others; a re-run does nothing
// where everything is done.
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eachServer } from '../helpers/servers.mjs';
import pg from 'pg';
import { mainServer } from '../helpers/database.mjs';
import { pgpatch } from '../helpers/project.mjs';
import { byName, databases, fleetProject, outcomes } from './_fleet.mjs';

const ITEM =
  "create table item (id int primary key, name text);\ncreate index item_name on item (name);\ninsert into log (name) values ('item');\n";
const MORE = "insert into log (name) values ('more');\n";
/** Three times what two runs of 8 jobs hold at once: every database contended. Large fleets: bench/fleet.mjs. */
const FLEET = 24;

eachServer(
  test,
  `${FLEET} databases, two fleet runs at once with --jobs 8: each patch applied once on each; a re-run does nothing`,
  async (t, server) => {
    const fleet = await databases(t, server.url, FLEET);
    const p = fleetProject(t, { '2024-01-01_item.sql': ITEM, '2024-01-02_more.sql': MORE });
    const args = ['--databases', fleet.pattern, '--jobs', '8', '--wait-for-run-lock', '300', '--json'];
    const runs = await Promise.all([pgpatch(p, server.url, 'migrate', args), pgpatch(p, server.url, 'migrate', args)]);
    for (const r of runs) t.is(r.code, 0, r.stderr);
    const results = runs.map((r) => byName(r.stdout));
    for (const name of fleet.names) {
      const applied = results.flatMap((r) => outcomes(r[name], 'applied')).sort();
      t.deepEqual(applied, ['2024-01-01_item', '2024-01-02_more'], `${name}: between them, the runs applied each patch once`);
    }
    const logs = await Promise.all(fleet.names.map((name) => fleet.query(name, 'select name from log order by id')));
    t.deepEqual(
      logs.map((l) => l.rows.map((r) => r.name).join(',')),
      fleet.names.map(() => 'item,more'),
    );
    const again = await pgpatch(p, server.url, 'migrate', ['--databases', fleet.pattern, '--jobs', '8', '--json']);
    t.is(again.code, 0, again.stderr);
    const rerun = JSON.parse(again.stdout);
    t.is(rerun.counts.up_to_date, FLEET);
    t.deepEqual(
      rerun.targets.flatMap((x) => outcomes(x, 'applied')),
      [],
    );
  },
);

eachServer(
  test,
  'a database with a conflicting object fails alone: exit 3, the others applied, a stray file warned of once, the fleet view shows it, a re-run after the fix applies it alone',
  async (t, server) => {
    const fleet = await databases(t, server.url, 5);
    const p = fleetProject(t, { '2024-01-01_item.sql': ITEM });
    const bad = fleet.names[2];
    await fleet.query(bad, 'create table item (x int)');
    writeFileSync(join(p.patchesDir, 'README.sql'), '-- not a patch\n');
    const run = await pgpatch(p, server.url, 'migrate', ['--databases', fleet.pattern, '--jobs', '2']);
    t.is(run.code, 3, run.stderr);
    t.is(run.stderr.match(/warning: README\.sql is not a patch and never runs/g)?.length, 1, 'warned of once for the fleet');
    t.regex(run.stderr, new RegExp(`${bad}: patch 2024-01-01_item failed: .*relation "item" already exists`));
    t.regex(run.stderr, /5 targets: 4 applied, 1 failed \(4 patches applied\)/);
    for (const name of fleet.names) {
      const { rows } = await fleet.query(name, "select count(*)::int as n from log where name = 'item'");
      t.is(rows[0].n, name === bad ? 0 : 1, name);
    }
    const view = await pgpatch(p, server.url, 'showmigrations', ['--databases', fleet.pattern]);
    t.is(view.code, 0, view.stderr);
    t.regex(view.stdout, /^5 targets: 4 up to date, 1 pending$/m);
    t.regex(view.stdout, new RegExp(`from 2024-01-01_item \\(1 patch to apply\\): 1 target: ${bad}$`, 'm'));
    await fleet.query(bad, 'drop table item');
    const again = await pgpatch(p, server.url, 'migrate', ['--databases', fleet.pattern, '--json']);
    t.is(again.code, 0, again.stderr);
    const targets = byName(again.stdout);
    t.deepEqual(
      Object.values(targets)
        .filter((x) => x.status === 'applied')
        .map((x) => [x.name, outcomes(x, 'applied')]),
      [[bad, ['2024-01-01_item']]],
    );
  },
);

eachServer(test, 'the plan is the run across the fleet: each database would apply what the run then applies', async (t, server) => {
  const fleet = await databases(t, server.url, 6);
  const p = fleetProject(t, { '2024-01-01_item.sql': ITEM, '2024-01-02_more.sql': MORE });
  // Databases in different states: two up to date, two one patch behind, two with both to apply.
  for (const [i, upTo] of [
    [0, '2024-01-02_more'],
    [1, '2024-01-02_more'],
    [2, '2024-01-01_item'],
    [3, '2024-01-01_item'],
  ]) {
    const r = await pgpatch(p, fleet.url(fleet.names[i]), 'migrate', [upTo, '--no-input']);
    t.is(r.code, 0, r.stderr);
  }
  const plan = await pgpatch(p, server.url, 'migrate', ['--databases', fleet.pattern, '--plan', '--json']);
  t.is(plan.code, 0, plan.stderr);
  const check = await pgpatch(p, server.url, 'migrate', ['--databases', fleet.pattern, '--check']);
  t.is(check.code, 1, 'four databases have patches pending');
  const run = await pgpatch(p, server.url, 'migrate', ['--databases', fleet.pattern, '--json']);
  t.is(run.code, 0, run.stderr);
  const planned = byName(plan.stdout);
  const ran = byName(run.stdout);
  t.deepEqual(
    fleet.names.map((n) => outcomes(planned[n], 'would_apply')),
    fleet.names.map((n) => outcomes(ran[n], 'applied')),
  );
  t.deepEqual(
    fleet.names.map((n) => outcomes(ran[n], 'applied').length),
    [0, 0, 1, 1, 2, 2],
  );
  t.is((await pgpatch(p, server.url, 'migrate', ['--databases', fleet.pattern, '--check'])).code, 0);
});

test('a database that is up to date is seen so in one read, without its run lock: a no-op does not wait for a run holding it', async (t) => {
  const fleet = await databases(t, mainServer().url, 2);
  const p = fleetProject(t, { '2024-01-01_item.sql': ITEM });
  const args = ['--databases', fleet.pattern, '--json'];
  t.is((await pgpatch(p, mainServer().url, 'migrate', args)).code, 0);
  // Another run's lock on the first database (pgpatch's keys for the record in public): a run there would give up at once (exit 5).
  const holder = new pg.Client({ connectionString: fleet.url(fleet.names[0]) });
  await holder.connect();
  t.teardown(() => holder.end());
  await holder.query('select pg_advisory_lock(1885827169, 1952671744)');
  const again = await pgpatch(p, mainServer().url, 'migrate', args);
  t.is(again.code, 0, again.stderr);
  t.deepEqual(
    JSON.parse(again.stdout).targets.map((x) => x.status),
    ['up_to_date', 'up_to_date'],
  );
  p.patch('2024-01-02_more.sql', MORE);
  const blocked = await pgpatch(p, mainServer().url, 'migrate', args);
  t.is(blocked.code, 5, 'with a patch to apply, the run needs the lock, and gives up at once as a single run would');
  t.deepEqual(
    JSON.parse(blocked.stdout).targets.map((x) => x.status),
    ['failed', 'applied'],
  );
});
