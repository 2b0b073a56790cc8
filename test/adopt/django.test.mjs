// pgpatch adopt on a database that Django's own migrations built (test/adopt/django: managed
// models, migrations 0001 and 0002 of app shop, and those of auth, contenttypes, sessions,
// admin), run by `manage.py migrate` as the server's superuser into a fresh database.
// adopt writes the files; pgpatch load builds a new database from them; the two models differ
// in exactly the django_migrations table (and its id sequence) that adopt leaves out. Then migrate --check on the
// original exits 0 and a new patch applies. On every test server (PostgreSQL 18 and 15:
// eachServer): Django's migrations write what its schema editor writes for that major, and adopt
// must read it back from that major's catalogs.
//
// Skipped, saying why, when /usr/bin/python3 cannot import django and psycopg2 (as in
// test/django/django.test.mjs; PGPATCH_TEST_PYTHON overrides the interpreter).
import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareModels, inspectDatabase, withSession, targetFrom } from 'pgpatch';
import { runCli } from '../helpers/cli.mjs';
import { createDatabase, query } from '../helpers/database.mjs';
import { djangoMigrate, djangoProblem } from '../helpers/django.mjs';
import { eachServer } from '../helpers/servers.mjs';

const PROJECT = fileURLToPath(new URL('./django/', import.meta.url));

const why = djangoProblem();
if (why) {
  test.skip(`adopt a Django-migrated database: skipped, ${why}; install Debian's python3-django and python3-psycopg2`, () => {});
} else {
  eachServer(
    test,
    'adopt a database built by Django migrations: the files rebuild it but for django_migrations; the next patch is the first',
    adoptDjango,
  );
}

async function modelOf(url) {
  return withSession(targetFrom(url, 'test'), (s) => inspectDatabase(s));
}

async function adoptDjango(t, server) {
  const original = await createDatabase(server.url, 'adopt_django');
  const copy = await createDatabase(server.url, 'adopt_django_copy');
  const dir = mkdtempSync(join(tmpdir(), 'pgpatch-adopt-django-'));
  t.teardown(() => Promise.all([original.drop(), copy.drop(), rmSync(dir, { recursive: true, force: true })]));

  const built = await djangoMigrate(PROJECT, server.url, original.name);
  t.is(built.code, 0, built.out);
  const applied = (await query(original.url, `select app || '.' || name as m from django_migrations`)).rows.map((r) => r.m);
  t.true(applied.includes('shop.0002_book_published'));
  const before = await modelOf(original.url);

  const r = await runCli(['adopt', '--dsn', original.url], { cwd: dir });
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /left out table public\.django_migrations/);
  // Django's migrations go off for every app its history names, for settings.py.
  t.regex(r.stdout, /^MIGRATION_MODULES = \{app: None for app in \('admin', 'auth', 'contenttypes', 'sessions', 'shop'\)\}$/m);
  const files = readdirSync(join(dir, 'schema')).sort();
  t.deepEqual(files, ['auth.sql', 'constraints.sql', 'database.sql', 'django.sql', 'patches', 'shop.sql']);
  const shop = readFileSync(join(dir, 'schema', 'shop.sql'), 'utf8');
  t.regex(shop, /create table public\.shop_book \(/);
  t.regex(shop, /shop_book_price_not_negative CHECK/);
  t.notRegex(readFileSync(join(dir, 'schema', 'django.sql'), 'utf8'), /django_migrations/);
  t.regex(readFileSync(join(dir, 'schema', 'database.sql'), 'utf8'), /Left out on purpose: table public\.django_migrations/);

  // Committed as a team would (the files, then the first patch): a clone has the patches folder,
  // and check agrees that the patch and the files describe the same database.
  await git(dir, 'init', '-q', '-b', 'main');
  await git(dir, 'add', 'schema', ':!schema/patches/*.sql');
  await git(dir, 'commit', '-q', '-m', 'pgpatch adopt');
  const clone = join(dir, 'clone');
  await git(dir, 'clone', '-q', dir, clone);
  const fromClone = await runCli(['migrate', '--check', '--dsn', original.url], { cwd: clone });
  t.is(fromClone.code, 0, fromClone.stdout + fromClone.stderr);
  await git(dir, 'add', 'schema');
  await git(dir, 'commit', '-q', '-m', 'the first patch');
  const checked = await runCli(['check', '--base', 'HEAD~1', '--scratch-url', server.url], { cwd: dir });
  t.is(checked.code, 0, checked.stdout + checked.stderr);
  t.regex(checked.stderr + checked.stdout, /drop_django_migrations/);

  const load = await runCli(['load', '--dsn', copy.url], { cwd: dir });
  t.is(load.code, 0, load.stderr);
  const differences = compareModels(before, await modelOf(copy.url), {
    expected: 'in the Django-built database',
    actual: 'from the adopted files',
  });
  // Exactly what adopt documents as not carried over: Django's migration history (its table and
  // the sequence of its serial id).
  t.deepEqual(
    differences.map((d) => [d.kind, d.objectType, d.object]),
    [
      ['missing', 'table', 'public.django_migrations'],
      ['missing', 'sequence', 'public.django_migrations_id_seq'],
    ],
  );

  // The first patch is written for you: the original still has Django's history, which it drops.
  const patches = readdirSync(join(dir, 'schema', 'patches')).sort();
  t.deepEqual(patches, ['.gitkeep', `${localDate()}_drop_django_migrations.sql`]);
  t.regex(readFileSync(join(dir, 'schema', 'patches', patches[1]), 'utf8'), /^drop table if exists public\.django_migrations;$/m);
  const pending = await runCli(['migrate', '--check', '--dsn', original.url], { cwd: dir });
  t.is(pending.code, 1, pending.stdout + pending.stderr);
  // On the copy loaded from the files the patch is recorded as assumed: nothing to do there.
  const loaded = await runCli(['migrate', '--check', '--dsn', copy.url], { cwd: dir });
  t.is(loaded.code, 0, loaded.stdout + loaded.stderr);
  writeFileSync(
    join(dir, 'schema', 'patches', '2030-01-01_book_subtitle.sql'),
    'alter table public.shop_book add column subtitle varchar(200);\n',
  );
  const migrate = await runCli(['migrate', '--dsn', original.url], { cwd: dir });
  t.is(migrate.code, 0, migrate.stderr);
  const cols = await query(
    original.url,
    `select 1 from information_schema.columns where table_name = 'shop_book' and column_name = 'subtitle'`,
  );
  t.is(cols.rowCount, 1);
  t.is((await query(original.url, "select to_regclass('public.django_migrations') as t")).rows[0].t, null);
  // Now the original and the copy have the same schema (the subtitle aside): the switch is done.
  const after = compareModels(await modelOf(original.url), await modelOf(copy.url), { expected: 'original', actual: 'copy' });
  t.deepEqual([...new Set(after.map((d) => d.object))], ['public.shop_book'], after.map((d) => d.message).join('\n'));
}

/** git in `cwd` with no user or system configuration. */
async function git(cwd, ...args) {
  const env = {
    ...process.env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: 'Ann',
    GIT_AUTHOR_EMAIL: 'ann@example.org',
  };
  Object.assign(env, { GIT_COMMITTER_NAME: env.GIT_AUTHOR_NAME, GIT_COMMITTER_EMAIL: env.GIT_AUTHOR_EMAIL });
  return (await promisify(execFile)('git', args, { cwd, env })).stdout;
}

function localDate() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}
