// adopt on databases built by real third-party Django apps' own migrations (Debian's
// python3-django-* packages: taggit, guardian, reversion, otp and its plugins, waffle, axes, q),
// next to Django's admin, auth, contenttypes and sessions: `manage.py migrate` of
// test/adopt/django-apps builds the database, adopt writes the files, load builds a second
// database from them, and the two models differ in exactly django_migrations (and its id
// sequence), which adopt leaves out on purpose. Apps written by others, with names nobody chose
// for pgpatch: the kind of input that found adopt's unquoted reserved words.
// On every test server (PostgreSQL 18 and 15). An app that is not installed is a visible skip
// naming its Debian package; so is Django itself.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareModels, inspectDatabase, withSession, targetFrom } from 'pgpatch';
import { runCli } from '../helpers/cli.mjs';
import { createDatabase, query } from '../helpers/database.mjs';
import { djangoMigrate, djangoProblem, importable } from '../helpers/django.mjs';
import { eachServer } from '../helpers/servers.mjs';

const PROJECT = fileURLToPath(new URL('./django-apps/', import.meta.url));

// Debian package, the modules to put in INSTALLED_APPS, and the app labels their migrations record.
const APPS = [
  { pkg: 'python3-django-taggit', modules: ['taggit'], labels: ['taggit'] },
  { pkg: 'python3-django-guardian', modules: ['guardian'], labels: ['guardian'] },
  { pkg: 'python3-django-reversion', modules: ['reversion'], labels: ['reversion'] },
  {
    pkg: 'python3-django-otp',
    modules: [
      'django_otp',
      'django_otp.plugins.otp_static',
      'django_otp.plugins.otp_totp',
      'django_otp.plugins.otp_hotp',
      'django_otp.plugins.otp_email',
    ],
    labels: ['otp_static', 'otp_totp', 'otp_hotp', 'otp_email'],
  },
  { pkg: 'python3-django-waffle', modules: ['waffle'], labels: ['waffle'] },
  { pkg: 'python3-django-axes', modules: ['axes'], labels: ['axes'] },
  // Its Task model has a field named group: a reserved word, which adopt wrote bare.
  { pkg: 'python3-django-q', modules: ['django_q'], labels: ['django_q'] },
];

const why = djangoProblem();
const found = why ? new Set() : importable(APPS.flatMap((a) => a.modules));
const present = APPS.filter((a) => a.modules.every((m) => found.has(m)));
if (why) {
  test.skip(`adopt of third-party Django apps: skipped, ${why}; install Debian's python3-django and python3-psycopg2`, () => {});
} else {
  for (const a of APPS.filter((x) => !present.includes(x))) {
    test.skip(`adopt of third-party Django apps: ${a.modules[0]} left out, not installed (apt-get install ${a.pkg})`, () => {});
  }
  if (present.length) {
    eachServer(
      test,
      `adopt of a database built by third-party apps' migrations (${present.map((a) => a.modules[0]).join(', ')}): the files rebuild it but for django_migrations`,
      adoptApps,
    );
  }
}

async function modelOf(url) {
  return withSession(targetFrom(url, 'test'), (s) => inspectDatabase(s));
}

async function adoptApps(t, server) {
  const original = await createDatabase(server.url, 'adopt_apps');
  const copy = await createDatabase(server.url, 'adopt_apps_copy');
  const dir = mkdtempSync(join(tmpdir(), 'pgpatch-adopt-apps-'));
  t.teardown(() => Promise.all([original.drop(), copy.drop(), rmSync(dir, { recursive: true, force: true })]));

  const built = await djangoMigrate(PROJECT, server.url, original.name, { APPS: present.flatMap((a) => a.modules).join(',') });
  t.is(built.code, 0, built.out);
  const migrated = new Set((await query(original.url, 'select distinct app from django_migrations')).rows.map((r) => r.app));
  t.deepEqual(
    present.flatMap((a) => a.labels).filter((l) => !migrated.has(l)),
    [],
  );
  const before = await modelOf(original.url);

  const adopted = await runCli(['adopt', '--dsn', original.url], { cwd: dir });
  t.is(adopted.code, 0, adopted.stderr);
  // MIGRATION_MODULES for settings.py names every app of django_migrations, third-party ones too.
  const modules = /^MIGRATION_MODULES = \{app: None for app in \((.*)\)\}$/m.exec(adopted.stdout);
  t.truthy(modules, adopted.stdout);
  t.deepEqual(
    modules?.[1].split(', ').map((l) => l.replace(/'/g, '')),
    [...migrated].sort(),
  );
  const load = await runCli(['load', '--dsn', copy.url], { cwd: dir });
  t.is(load.code, 0, load.stderr);
  const differences = compareModels(before, await modelOf(copy.url), {
    expected: 'in the Django-built database',
    actual: 'from the adopted files',
  });
  t.deepEqual(
    differences.map((d) => [d.kind, d.objectType, d.object]).sort(),
    [
      ['missing', 'sequence', 'public.django_migrations_id_seq'],
      ['missing', 'table', 'public.django_migrations'],
    ],
    differences.map((d) => d.message).join('\n'),
  );

  // The record adopt created: on the original only the first patch is pending, which drops
  // django_migrations; the copy loaded from the files has it recorded as assumed.
  const pending = await runCli(['migrate', '--check', '--dsn', original.url], { cwd: dir });
  t.is(pending.code, 1, pending.stdout + pending.stderr);
  t.regex(pending.stdout, /_drop_django_migrations/);
  t.is((await runCli(['migrate', '--dsn', original.url], { cwd: dir })).code, 0);
  for (const url of [original.url, copy.url]) {
    const check = await runCli(['migrate', '--check', '--dsn', url], { cwd: dir });
    t.is(check.code, 0, check.stdout + check.stderr);
  }
  t.deepEqual(
    compareModels(await modelOf(original.url), await modelOf(copy.url), { expected: 'original', actual: 'copy' }).map((d) => d.message),
    [],
  );
}
