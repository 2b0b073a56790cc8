// Every command that writes says where, password masked, before it writes anything: load,
// migrate, adopt (its record) and check (its scratch databases). Read-only runs stay quiet.
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.mjs';
import { query, useDatabase } from '../helpers/database.mjs';
import { plainProject } from '../helpers/gitdir.mjs';

useDatabase(test);

const NOTICE = "do $$ begin raise notice 'now writing'; end $$;\n";

/** The test database's URL with a password in it (the test servers trust local connections). */
function withPassword(url) {
  const u = new URL(url);
  u.password = 'secret';
  return u.toString();
}

function masked(url) {
  const u = new URL(url);
  return `postgresql://${u.username}:*****@${u.host}${u.pathname}`;
}

/** The line that names the target, which must come before the script's first notice. */
function assertAnnouncedFirst(t, stderr, line) {
  const at = stderr.indexOf(line);
  t.true(at >= 0, stderr);
  const writing = stderr.indexOf('now writing');
  if (writing >= 0) t.true(at < writing, stderr);
  t.false(stderr.includes('secret'), stderr);
}

test('load says which database it loads into before it runs the script', async (t) => {
  const dir = plainProject(t, { 'main.sql': NOTICE });
  const dsn = withPassword(t.context.db.url);
  const r = await runCli(['load', '--dsn', dsn, 'main.sql'], { cwd: dir });
  t.is(r.code, 0, r.stderr);
  assertAnnouncedFirst(t, r.stderr, `pgpatch: loading into ${masked(dsn)}\n`);
});

test('with PGSERVICE, the target line names the service and its file', async (t) => {
  const u = new URL(t.context.db.url);
  const dir = plainProject(t, { 'main.sql': NOTICE });
  const file = join(dir, 'services.conf');
  writeFileSync(file, `[app]\nhost=${u.hostname}\nport=${u.port}\nuser=${u.username}\ndbname=${t.context.db.name}\n`);
  const r = await runCli(['load', 'main.sql'], { cwd: dir, env: { PGSERVICE: 'app', PGSERVICEFILE: file, PGSYSCONFDIR: dir } });
  t.is(r.code, 0, r.stderr);
  assertAnnouncedFirst(
    t,
    r.stderr,
    `pgpatch: loading into postgresql://${u.username}@${u.host}/${t.context.db.name} (service app in ${file})\n`,
  );
});

test('migrate says which database it migrates before the first patch; --plan does not', async (t) => {
  const dir = plainProject(t, { 'schema/database.sql': '', 'schema/patches/2024-01-01_a.sql': NOTICE });
  const dsn = withPassword(t.context.db.url);
  const plan = await runCli(['migrate', '--plan', '--dsn', dsn], { cwd: dir });
  t.is(plan.code, 0, plan.stderr);
  t.false(plan.stderr.includes('pgpatch: migrating'), plan.stderr);
  const r = await runCli(['migrate', '--dsn', dsn], { cwd: dir });
  t.is(r.code, 0, r.stderr);
  assertAnnouncedFirst(t, r.stderr, `pgpatch: migrating ${masked(dsn)}\n`);
});

test('adopt says which database gets its record; --dry-run does not', async (t) => {
  await query(t.context.db.url, 'create table shop_item (id int primary key)');
  const dir = plainProject(t, {});
  const dsn = withPassword(t.context.db.url);
  const dry = await runCli(['adopt', '--dry-run', '--dsn', dsn], { cwd: dir });
  t.is(dry.code, 0, dry.stderr);
  t.false(dry.stderr.includes('pgpatch: adopting'), dry.stderr);
  const r = await runCli(['adopt', '--dsn', dsn], { cwd: dir });
  t.is(r.code, 0, r.stderr);
  assertAnnouncedFirst(t, r.stderr, `pgpatch: adopting (its record goes there too) ${masked(dsn)}\n`);
});

test('check names the server and database of each scratch build before it creates it', async (t) => {
  const dir = plainProject(t, { 'schema/database.sql': NOTICE, 'schema/patches/.keep': '' });
  const scratch = withPassword(new URL('/postgres', t.context.db.url).toString());
  const r = await runCli(['check', '--dsn', t.context.db.url, '--scratch-url', scratch], { cwd: dir });
  t.true([0, 1].includes(r.code), r.stderr);
  const line = /pgpatch: building the schema files \(scratch database (\w+)\) in (\S+)\n/.exec(r.stderr);
  t.truthy(line, r.stderr);
  t.is(line[2], masked(new URL(`/${line[1]}`, scratch).toString()));
  assertAnnouncedFirst(t, r.stderr, line[0]);
});
