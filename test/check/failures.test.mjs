// `pgpatch check` when something cannot be built (exit 2, with the file and line), when it is
// interrupted (Ctrl-C), and with bad input. The scratch databases never stay behind: each run
// names them on stderr (`scratch database pgpatch_check_<hex>_files`), and afterwards no database
// of that run is left on the server. The copy of the base schema (in TMPDIR) is removed too.
import test from 'ava';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, runCli } from '../helpers/cli.mjs';
import { mainServer, query } from '../helpers/database.mjs';
import { gitProject, git, plainProject, writeFiles } from '../helpers/gitdir.mjs';
import { waitFor } from '../helpers/project.mjs';

const scratchUrl = () => mainServer().url;

const BASE = {
  'schema/database.sql': 'create schema app;\n\\i app.sql\n',
  'schema/app.sql': 'create table app.item (\n  id int primary key,\n  name text not null\n);\n',
  'schema/patches/.gitkeep': '',
};

/** A project on branch feature with BASE committed on main, and a TMPDIR of its own for the run. */
function project(t, files = BASE) {
  const root = gitProject(t, files);
  git(root, 'checkout', '-q', '-b', 'feature');
  const tmp = mkdtempSync(join(tmpdir(), 'pgpatch-check-tmp-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  return { root, tmp };
}

function env(p) {
  return { NODE_EXTRA_CA_CERTS: undefined, TMPDIR: p.tmp };
}

function check(p, args = []) {
  return runCli(['check', '--scratch-url', scratchUrl(), ...args], { cwd: p.root, env: env(p) });
}

/** The run's prefix, from `(scratch database pgpatch_check_<hex>_files)` on stderr. */
function prefixOf(stderr) {
  return /\(scratch database (pgpatch_check_[0-9a-f]+)_\w+\)/.exec(stderr)?.[1];
}

async function leftBehind(prefix) {
  const { rows } = await query(scratchUrl(), `select datname from pg_database where starts_with(datname, $1)`, [prefix + '_']);
  return rows.map((r) => r.datname);
}

async function assertCleanedUp(t, p, r) {
  const prefix = prefixOf(r.stderr);
  t.truthy(prefix, r.stderr);
  t.deepEqual(await leftBehind(prefix), [], 'no scratch database of this run is left');
  t.deepEqual(readdirSync(p.tmp), [], 'the copy of the base schema is removed');
}

test('a patch with an SQL error: exit 2, the file and line; the scratch databases are dropped', async (t) => {
  const p = project(t);
  writeFiles(p.root, {
    'schema/app.sql': BASE['schema/app.sql'] + 'alter table app.item add column price numeric;\n',
    'schema/patches/2026-11-23_price.sql': 'select 1;\nalter table app.item add column price numerik;\n',
  });
  const r = await check(p);
  t.is(r.code, 2, r.stderr + r.stdout);
  t.regex(r.stderr, /could not build the patches added since the base/);
  t.regex(r.stderr, /schema\/patches\/2026-11-23_price\.sql:2:\d+: ERROR: +type "numerik" does not exist/);
  assertCheckAdvice(t, r.stderr);
  t.is(r.stdout, '');
  await assertCleanedUp(t, p, r);
});

/**
 * What check says after a failed patch: where it ran (the scratch database check built from the
 * base schema plus the patches), that no real database changed, and to run check again; not
 * migrate's advice, which speaks of a record that check drops with its scratch database.
 */
function assertCheckAdvice(t, stderr) {
  t.regex(
    stderr,
    /^ +it failed while check built its scratch database \(the schema files at the base plus the patches since\), which is dropped: nothing was changed or recorded in any real database\. Fix the patch and run check again\.$/m,
  );
  t.notRegex(stderr, /run migrate again/);
  t.notRegex(stderr, /recorded as failed|see showmigrations|patches before it are applied and recorded/i);
}

test('a patch that runs outside a transaction and fails: check says nothing was recorded, not "recorded as failed"', async (t) => {
  // In the scratch database, migrate records such a patch as failed (stage patch); that record
  // goes with the database, so check must not send the user to showmigrations.
  const p = project(t);
  writeFiles(p.root, {
    'schema/app.sql': BASE['schema/app.sql'] + 'create index item_name_idx on app.item (name);\n',
    'schema/patches/2026-11-23_idx.sql': 'create index concurrently item_name_idx on app.no_such_table (name);\n',
  });
  const r = await check(p);
  t.is(r.code, 2, r.stderr + r.stdout);
  t.regex(r.stderr, /could not build the patches added since the base/);
  t.regex(r.stderr, /schema\/patches\/2026-11-23_idx\.sql:1:\d+: ERROR: +relation "app\.no_such_table" does not exist/);
  assertCheckAdvice(t, r.stderr);
  await assertCleanedUp(t, p, r);
});

test('a schema file with an error: exit 2, the file, line and include; the scratch databases are dropped', async (t) => {
  const p = project(t);
  writeFiles(p.root, { 'schema/app.sql': 'create table app.item (\n  id int primary key,\n  name text not null,,\n);\n' });
  const r = await check(p);
  t.is(r.code, 2, r.stderr + r.stdout);
  t.regex(r.stderr, /could not build the database from the schema files/);
  t.regex(r.stderr, /schema\/app\.sql:3:\d+: ERROR: +syntax error at or near ","/);
  t.notRegex(r.stderr, /building it again/, 'a syntax error is not tried twice');
  t.regex(r.stderr, /included from schema\/database\.sql:2/);
  await assertCleanedUp(t, p, r);
});

test('a build that fails only because the other one ran at the same time is built again, alone: exit 0', async (t) => {
  // Both builds run this at once (A from the files, B from the same files at main): both find no
  // role, both create it, one fails. Alone, the failed one finds the role and goes on.
  const role = `pgpatch_check_role_${randomBytes(4).toString('hex')}`;
  t.teardown(() => query(scratchUrl(), `drop role if exists ${role}`));
  const p = project(t, {
    ...BASE,
    'schema/database.sql': `do $$ begin
  if not exists (select from pg_roles where rolname = '${role}') then
    perform pg_sleep(2);
    create role ${role} nologin;
  end if;
end $$;
${BASE['schema/database.sql']}`,
  });
  const r = await check(p);
  t.is(r.code, 0, r.stderr + r.stdout);
  t.regex(
    r.stderr,
    /pgpatch: building the (schema files|schema files at the base and the patches since) failed \(.*already exists.*\); the other build, running at the same time on the same server's roles, can cause this kind of error, so it is built again, alone/,
  );
  t.regex(r.stderr, /\(scratch database pgpatch_check_[0-9a-f]+_(files|patches)_again\)/);
  t.regex(r.stdout, /^ok: they describe the same database$/m);
  await assertCleanedUp(t, p, r);
});

test('Ctrl-C while a patch runs: exit 130, the scratch databases are dropped', async (t) => {
  const p = project(t);
  writeFiles(p.root, { 'schema/patches/2026-11-23_slow.sql': 'select pg_sleep(30);\n' });
  const clean = { ...process.env, ...env(p) };
  for (const k of ['DATABASE_URL', 'PGHOST', 'PGDATABASE', 'PGUSER', 'PGPORT', 'NODE_EXTRA_CA_CERTS']) delete clean[k];
  const child = spawn(process.execPath, [CLI, 'check', '--scratch-url', scratchUrl()], {
    cwd: p.root,
    env: clean,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  t.teardown(() => child.kill('SIGKILL'));

  // Waits until the patch sleeps in its scratch database, rather than for a fixed time.
  const prefix = await waitFor(() => prefixOf(stderr), 'check to name its scratch databases');
  await waitFor(
    async () =>
      (
        await query(
          scratchUrl(),
          `select 1 from pg_stat_activity
    where starts_with(datname, $1) and query like '%pg_sleep%'`,
          [prefix + '_'],
        )
      ).rowCount > 0,
    'the patch to run',
  );
  t.deepEqual((await leftBehind(prefix)).sort(), [`${prefix}_files`, `${prefix}_patches`]);
  child.kill('SIGINT');
  const { code } = await done;
  t.is(code, 130, stderr);
  t.regex(stderr, /interrupted: dropping the scratch databases/);
  t.notRegex(stderr, /error/i, 'an interrupted build is no error to report');
  t.deepEqual(await leftBehind(prefix), []);
  t.deepEqual(readdirSync(p.tmp), []);
});

test('--base with a ref that does not exist: exit 2, nothing built, nothing left in TMPDIR', async (t) => {
  const p = project(t);
  const r = await check(p, ['--base', 'no-such-branch']);
  t.is(r.code, 2, r.stderr + r.stdout);
  t.regex(r.stderr, /unknown git ref "no-such-branch"/);
  t.notRegex(r.stderr, /building/);
  t.deepEqual(readdirSync(p.tmp), []);
});

test('not in a git work tree: exit 2, says git is needed', async (t) => {
  const root = plainProject(t, BASE);
  const r = await runCli(['check', '--scratch-url', scratchUrl()], { cwd: root, env: { NODE_EXTRA_CA_CERTS: undefined } });
  t.is(r.code, 2, r.stderr + r.stdout);
  t.regex(r.stderr, /check needs the git history of .*schema: .*not a git repository/);
  t.notRegex(r.stderr, /building/);
});

test('--dsn with --base: exit 2, a live comparison takes no base', async (t) => {
  const p = project(t);
  const r = await check(p, ['--dsn', scratchUrl(), '--base', 'main']);
  t.is(r.code, 2, r.stderr + r.stdout);
  t.regex(r.stderr, /--base compares patches; a live comparison \(--dsn, --live\) takes no base/);
  t.notRegex(r.stderr, /building/);
});
