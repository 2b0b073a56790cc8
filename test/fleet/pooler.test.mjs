// A fleet through a real PgBouncer in transaction mode (issue 22, with issue 20's promise): the
// fleet view reads every target and leaves nothing set on the pooled server connection (a
// `set default_transaction_read_only = on` left there failed the application's next INSERT),
// and migrate refuses each target, as on one, while the others are still tried.
import test from 'ava';
import pg from 'pg';
import { runCli } from '../helpers/cli.mjs';
import { mainServer } from '../helpers/database.mjs';
import { PGBOUNCER, startPgBouncer } from '../helpers/pgbouncer.mjs';
import { databases, fleetProject } from './_fleet.mjs';

const ITEM = "create table item (id int primary key);\ninsert into log (name) values ('item');\n";

/** What the application's next connection through the pooler finds: its server connection, and whether it may write. */
async function applicationSees(url) {
  const client = new pg.Client({ connectionString: url, application_name: 'the application' });
  await client.connect();
  try {
    const insert = await client.query("insert into log (name) values ('app')").then(
      () => 'accepted',
      (e) => e.message,
    );
    const { rows } = await client.query(
      "select pg_backend_pid() as pid, current_setting('default_transaction_read_only') as read_only, (select coalesce(json_object_agg(name, setting), '{}') from pg_settings where source = 'session') as settings",
    );
    return { insert, ...rows[0] };
  } finally {
    await client.end();
  }
}

if (!PGBOUNCER) {
  test.skip('a fleet through PgBouncer: pgbouncer is not installed', () => undefined);
} else {
  test('through a transaction pooler, the fleet view reads each target and leaves no state; migrate refuses each target', async (t) => {
    const server = mainServer();
    const bouncer = await startPgBouncer(server.url, 'transaction', { poolSize: 1 });
    t.teardown(() => bouncer.stop());
    const fleet = await databases(t, server.url, 2);
    const p = fleetProject(t, { '2024-01-01_item.sql': ITEM });
    const pooled = fleet.names.map((n) => bouncer.urlFor(n));
    const before = await Promise.all(pooled.map(applicationSees));
    const cli = (args) => runCli(args, { cwd: p.dir, input: `${pooled.join('\n')}\n`, env: { NODE_EXTRA_CA_CERTS: undefined } });

    const view = await cli(['showmigrations', '--targets', '-']);
    t.is(view.code, 0, view.stderr);
    t.regex(view.stdout, /^2 targets: 2 pending$/m);
    for (const [i, url] of pooled.entries()) {
      const after = await applicationSees(url);
      t.is(after.pid, before[i].pid, 'the application got the server connection the view used (pool size 1)');
      t.deepEqual(after, before[i], `${fleet.names[i]}: as the application left it`);
    }

    const run = await cli(['migrate', '--targets', '-', '--json']);
    t.is(run.code, 2, run.stderr);
    const result = JSON.parse(run.stdout);
    t.deepEqual(
      result.targets.map((x) => [x.status, x.error?.code]),
      [
        ['failed', 'transaction_pooler'],
        ['failed', 'transaction_pooler'],
      ],
    );
    for (const name of fleet.names) t.deepEqual((await fleet.query(name, "select name from log where name = 'item'")).rows, [], name);
  });
}
