// Baseline: `migrate --assume-applied` on a database with objects but no record compares it with
// the schema files first (check --dsn's comparison, in a scratch database on --scratch-url) and
// refuses when they differ, naming each difference and recording nothing; --force-baseline
// records the patches anyway. --plan says what the run would do.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { CLI } from '../helpers/cli.mjs';
import { adminQuery, query } from '../helpers/database.mjs';
import { exists, pgpatch, statuses } from '../helpers/project.mjs';
import { eachServer } from '../helpers/servers.mjs';
import { trustProject } from './_trust.mjs';

const SCHEMA = `create table log (id serial primary key, name text not null);
create table book (id int primary key, title text not null, pages int);
`;

async function loaded(t, server) {
  const { p, url } = await trustProject(t, server, { database: SCHEMA, record: false });
  p.patch('2024-01-01_a.sql', "insert into log (name) values ('a');\n");
  p.patch('2024-01-02_b.sql', "insert into log (name) values ('b');\n");
  const load = await pgpatch(p, url, 'load', ['--no-record']);
  t.is(load.code, 0, load.stderr);
  const migrate = (args) => pgpatch(p, url, 'migrate', ['--scratch-url', server.url, '--no-input', ...args]);
  return { p, url, migrate };
}

eachServer(
  test,
  'a database built from the schema files is compared, found the same, and baselined by --assume-applied (plan says so too)',
  async (t, server) => {
    const { url, migrate } = await loaded(t, server);
    const planned = await migrate(['--plan', '--assume-applied']);
    t.is(planned.code, 0, planned.stderr);
    t.regex(planned.stderr, /ok: they describe the same database/);
    const json = await migrate(['--plan', '--assume-applied', '--json']);
    t.is(json.code, 0, json.stderr);
    const out = JSON.parse(json.stdout);
    t.like(out, { firstRun: { built: false, assumed: 2 }, baselineComparison: { mode: 'live', ok: true, differences: [] } });
    t.false(await exists(url, 'schema_patch'));
    const r = await migrate(['--assume-applied']);
    t.is(r.code, 0, r.stderr);
    t.regex(r.stderr, /comparing it with the schema files/);
    t.regex(r.stderr, /ok: they describe the same database/);
    t.deepEqual(await statuses(url), { '2024-01-01_a': 'assumed', '2024-01-02_b': 'assumed' });
    t.is((await query(url, 'select count(*)::int as n from log')).rows[0].n, 0);
  },
);

eachServer(
  test,
  'a database that differs (a missing column, an extra table) is refused with exit 2 naming each difference, nothing recorded; --force-baseline baselines it',
  async (t, server) => {
    const { url, migrate } = await loaded(t, server);
    await query(url, 'alter table book drop column pages; create table extra (id int)');
    for (const args of [['--assume-applied'], ['--plan', '--assume-applied'], ['--check', '--assume-applied']]) {
      const r = await migrate(args);
      t.is(r.code, 2, `${args}: ${r.stderr}`);
      t.regex(r.stderr, /pages/, `${args}`);
      t.regex(r.stderr, /extra/, `${args}`);
      t.regex(r.stderr, /differs from the schema files \(2 differences\)/, `${args}`);
      t.regex(r.stderr, /--force-baseline/, `${args}`);
    }
    const json = await migrate(['--assume-applied', '--json']);
    t.is(json.code, 2, json.stderr);
    const { error } = JSON.parse(json.stdout);
    t.like(error, { code: 'baseline_mismatch', exitCode: 2, failing: 2 });
    t.is(error.differences.length, 2);
    t.false(await exists(url, 'schema_patch'));
    const forced = await migrate(['--force-baseline']);
    t.is(forced.code, 0, forced.stderr);
    t.regex(forced.stderr, /pages/);
    t.regex(forced.stderr, /--force-baseline: recording the patches as applied anyway/);
    t.deepEqual(await statuses(url), { '2024-01-01_a': 'assumed', '2024-01-02_b': 'assumed' });
  },
);

eachServer(test, 'column order and owners do not block a baseline', async (t, server) => {
  const { url, migrate } = await loaded(t, server);
  const {
    rows: [{ db }],
  } = await query(url, 'select current_database() as db');
  const role = `${db}_owner`;
  await query(url, `create role "${role}"`);
  t.teardown(async () => {
    await query(url, `drop owned by "${role}"`).catch(() => undefined);
    await adminQuery(server.url, `drop role if exists "${role}"`).catch(() => undefined);
  });
  await query(
    url,
    `drop table book; create table book (pages int, id int primary key, title text not null); alter table log owner to "${role}"`,
  );
  const r = await migrate(['--assume-applied']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /column order: does not block/);
  t.notRegex(r.stderr, /--strict/, "migrate's --strict is about edited patches, not column order");
  t.deepEqual(await statuses(url), { '2024-01-01_a': 'assumed', '2024-01-02_b': 'assumed' });
});

eachServer(
  test,
  'a project without a schema entry file has nothing to compare with: --assume-applied baselines, with a warning',
  async (t, server) => {
    const { p, url, migrate } = await loaded(t, server);
    rmSync(join(p.dir, 'schema', 'database.sql'));
    const r = await migrate(['--assume-applied']);
    t.is(r.code, 0, r.stderr);
    t.regex(r.stderr, /warning: no schema entry file .*database\.sql\): the database is not compared/);
    t.deepEqual(await statuses(url), { '2024-01-01_a': 'assumed', '2024-01-02_b': 'assumed' });
  },
);

/**
 * `pgpatch migrate` at a terminal (a pty from util-linux `script`), answering `answer` to the
 * baseline question once it is asked: { code, output } (stdout and stderr together, as on a terminal).
 */
function migrateAtTerminal(p, url, scratchUrl, answer) {
  const command = [process.execPath, CLI, 'migrate', '--dsn', url, '--scratch-url', scratchUrl].map((a) => `'${a}'`).join(' ');
  const env = { ...process.env };
  for (const k of ['DATABASE_URL', 'PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGSERVICE', 'PGHOSTADDR', 'NODE_EXTRA_CA_CERTS'])
    delete env[k];
  const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: p.dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let asked = false;
  child.stdout.on('data', (d) => {
    output += d;
    if (!asked && output.includes('(y/N): ')) {
      asked = true;
      child.stdin.write(`${answer}\r`);
    }
  });
  child.stderr.on('data', (d) => (output += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 180000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const scriptAvailable = spawnSync('script', ['--version']).status === 0;

eachServer(
  scriptAvailable ? test : test.skip,
  'at the prompt, the differences are shown before the baseline question; no records nothing, yes baselines',
  async (t, server) => {
    const { p, url } = await loaded(t, server);
    await query(url, 'alter table book drop column pages');
    const no = await migrateAtTerminal(p, url, server.url, 'n');
    t.is(no.code, 2, no.output);
    t.regex(no.output, /pages[^]*DIFFERS from the schema files \(1 difference above\)[^]*\(y\/N\): /);
    t.false(await exists(url, 'schema_patch'));
    const yes = await migrateAtTerminal(p, url, server.url, 'y');
    t.is(yes.code, 0, yes.output);
    t.deepEqual(await statuses(url), { '2024-01-01_a': 'assumed', '2024-01-02_b': 'assumed' });
  },
);
