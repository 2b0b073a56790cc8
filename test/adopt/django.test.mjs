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
  const files = readdirSync(join(dir, 'schema')).sort();
  t.deepEqual(files, ['auth.sql', 'constraints.sql', 'database.sql', 'django.sql', 'patches', 'shop.sql']);
  const shop = readFileSync(join(dir, 'schema', 'shop.sql'), 'utf8');
  t.regex(shop, /create table public\.shop_book \(/);
  t.regex(shop, /shop_book_price_not_negative CHECK/);
  t.notRegex(readFileSync(join(dir, 'schema', 'django.sql'), 'utf8'), /django_migrations/);
  t.regex(readFileSync(join(dir, 'schema', 'database.sql'), 'utf8'), /Left out on purpose: table public\.django_migrations/);

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

  const check = await runCli(['migrate', '--check', '--dsn', original.url], { cwd: dir });
  t.is(check.code, 0, check.stdout + check.stderr);
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
}
