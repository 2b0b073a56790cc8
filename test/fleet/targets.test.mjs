// A fleet from a list (--targets FILE, issue 22), what happens after a failure (--canary,
// --fail-fast), an unreachable target, check --dsn over a fleet, and the fleet view's size.
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eachServer } from '../helpers/servers.mjs';
import { pgpatch } from '../helpers/project.mjs';
import { runCli } from '../helpers/cli.mjs';
import { databases, fleetProject } from './_fleet.mjs';

const ITEM = "create table item (id int primary key, name text);\ninsert into log (name) values ('item');\n";

/** `pgpatch ARGS` in the project, without --dsn (the targets come from the file). */
function run(p, args, options = {}) {
  return runCli(args, { cwd: p.dir, timeoutMs: 180000, ...options, env: { NODE_EXTRA_CA_CERTS: undefined, ...options.env } });
}

/** libpq's key/value form of a URL. */
function keyValue(url) {
  const u = new URL(url);
  return `host=${u.hostname} port=${u.port} user=${decodeURIComponent(u.username)} dbname=${u.pathname.slice(1)}`;
}

/** A port nothing listens on: port 1 is privileged and unused on these machines. */
const NOWHERE = (name) => `postgresql://postgres@127.0.0.1:1/${name}?connect_timeout=5`;

eachServer(
  test,
  '--targets: URIs and key/value lines, comments; an unreachable target is reported, exit 4, and the others are applied',
  async (t, server) => {
    const fleet = await databases(t, server.url, 3);
    const p = fleetProject(t, { '2024-01-01_item.sql': ITEM });
    const [a, b, c] = fleet.names;
    writeFileSync(
      join(p.dir, 'targets.txt'),
      `# the tenants\n${fleet.url(a)}\n\n  ${keyValue(fleet.url(b))}\n${NOWHERE('gone')}\n# ${fleet.url(c)} is left out\n`,
    );
    const r = await run(p, ['migrate', '--targets', 'targets.txt', '--json']);
    t.is(r.code, 4, r.stderr);
    const targets = JSON.parse(r.stdout).targets;
    t.deepEqual(
      targets.map((x) => x.status),
      ['applied', 'applied', 'unreachable'],
    );
    t.is(targets[2].error.code, 'connection');
    t.regex(r.stderr, /pgpatch: postgresql:\/\/postgres@127\.0\.0\.1:1\/gone: cannot connect: /);
    for (const name of [a, b]) t.deepEqual((await fleet.query(name, 'select name from log')).rows, [{ name: 'item' }]);
    t.deepEqual((await fleet.query(c, 'select name from log')).rows, []);
    const view = await run(p, ['showmigrations', '--targets', '-'], { input: `${fleet.url(a)}\n${NOWHERE('gone')}\n${fleet.url(c)}\n` });
    t.is(view.code, 4, 'a target that cannot be read makes the view exit as showmigrations on it would');
    t.regex(view.stdout, /^3 targets: 1 up to date, 1 pending, 1 unreachable$/m);
    t.regex(view.stdout, /^ {2}cannot connect: .*: 1 target: postgresql:\/\/postgres@127\.0\.0\.1:1\/gone/m);
  },
);

test('--targets: a line that is not a connection string, or that repeats a database, is refused before anything runs, naming the line', async (t) => {
  const p = fleetProject(t);
  writeFileSync(join(p.dir, 'bad.txt'), 'postgresql://a@h/db1\nhost=h dbname=db2 colour=blue\n');
  const bad = await run(p, ['migrate', '--targets', 'bad.txt']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /bad\.txt:2: .*colour/);
  writeFileSync(join(p.dir, 'twice.txt'), 'postgresql://a@h:5432/db1\n# again\nhost=h port=5432 dbname=db1 user=b\n');
  const twice = await run(p, ['migrate', '--targets', 'twice.txt']);
  t.is(twice.code, 2);
  t.regex(twice.stderr, /twice\.txt:3: the same database as line 1/);
  const empty = await run(p, ['migrate', '--targets', '-'], { input: '# nothing\n' });
  t.is(empty.code, 2);
  t.regex(empty.stderr, /no connection string in standard input/);
  const alone = await run(p, ['migrate', '--jobs', '3', '--dsn', 'postgresql://a@h/db']);
  t.is(alone.code, 2);
  t.regex(alone.stderr, /--jobs is for a fleet/);
});

eachServer(test, '--canary: a failing canary leaves the other targets untouched; passing canaries let them run', async (t, server) => {
  const fleet = await databases(t, server.url, 5);
  const p = fleetProject(t, { '2024-01-01_item.sql': ITEM });
  await fleet.query(fleet.names[1], 'create table item (x int)');
  const stopped = await pgpatch(p, server.url, 'migrate', ['--databases', fleet.pattern, '--canary', '2', '--json']);
  t.is(stopped.code, 3, stopped.stderr);
  const result = JSON.parse(stopped.stdout);
  t.is(result.stopped, 'canary');
  t.deepEqual(
    result.targets.map((x) => x.status),
    ['applied', 'failed', 'not_started', 'not_started', 'not_started'],
  );
  for (const name of fleet.names.slice(2)) t.deepEqual((await fleet.query(name, 'select name from log')).rows, [], name);
  await fleet.query(fleet.names[1], 'drop table item');
  const passed = await pgpatch(p, server.url, 'migrate', ['--databases', fleet.pattern, '--canary', '2']);
  t.is(passed.code, 0, passed.stderr);
  t.regex(passed.stderr, /5 targets: 4 applied, 1 up to date/);
});

eachServer(
  test,
  '--fail-fast: no target starts after the first failure; without it, every failure is reported at the end',
  async (t, server) => {
    const fleet = await databases(t, server.url, 4);
    const p = fleetProject(t, { '2024-01-01_item.sql': ITEM });
    for (const i of [1, 2]) await fleet.query(fleet.names[i], 'create table item (x int)');
    const fast = await pgpatch(p, server.url, 'migrate', ['--databases', fleet.pattern, '--fail-fast', '--jobs', '1', '--json']);
    t.is(fast.code, 3);
    const result = JSON.parse(fast.stdout);
    t.is(result.stopped, 'fail-fast');
    t.deepEqual(
      result.targets.map((x) => x.status),
      ['applied', 'failed', 'not_started', 'not_started'],
    );
    const all = await pgpatch(p, server.url, 'migrate', ['--databases', fleet.pattern, '--jobs', '1']);
    t.is(all.code, 3);
    t.regex(all.stderr, /4 targets: 1 applied, 1 up to date, 2 failed/);
    t.regex(all.stderr, new RegExp(`failed \\(2\\):\\n  ${fleet.names[1]} \\(.*\\)\\n(    .*\\n)*  ${fleet.names[2]} \\(`));
  },
);

eachServer(
  test,
  'check --dsn over a fleet: the schema files built once, each database compared; one that drifted exits 1',
  async (t, server) => {
    const fleet = await databases(t, server.url, 3);
    const p = fleetProject(t);
    await fleet.query(fleet.names[2], 'alter table log add column note text');
    const r = await pgpatch(p, server.url, 'check', ['--databases', fleet.pattern, '--scratch-url', server.url]);
    t.is(r.code, 1, r.stderr);
    t.regex(r.stdout, /^compared the schema files with 3 targets: 2 as the schema files, 1 different$/m);
    t.regex(r.stdout, new RegExp(`^  ${fleet.names[2]}: 1 difference\\n    - table public\\.log, column note: `, 'm'));
    t.is((r.stderr.match(/pgpatch: building the schema files/g) ?? []).length, 1, 'built once');
  },
);

test('the fleet view stays short at 10,000 targets; --json has every one', async (t) => {
  const p = fleetProject(t, { '2024-01-01_item.sql': ITEM });
  const lines = Array.from({ length: 10000 }, (_, i) => NOWHERE(`tenant_${String(i).padStart(5, '0')}`));
  writeFileSync(join(p.dir, 'many.txt'), `${lines.join('\n')}\n`);
  const text = await run(p, ['showmigrations', '--targets', 'many.txt', '--jobs', '16'], { timeoutMs: 600000 });
  t.is(text.code, 4);
  const out = text.stdout.trimEnd().split('\n');
  t.true(out.length <= 5, text.stdout);
  t.regex(out[0], /^10000 targets: 10000 unreachable$/);
  t.regex(text.stdout, /1\/tenant_00009 and 9990 more/);
  const json = await run(p, ['showmigrations', '--targets', 'many.txt', '--jobs', '16', '--json'], { timeoutMs: 600000 });
  t.is(JSON.parse(json.stdout).targets.length, 10000);
});
