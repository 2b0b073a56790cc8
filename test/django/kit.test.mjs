// pgpatch's Django kit (the package's django/pgpatch_django) on Debian's Django 3.2, with test
// databases cloned from the template `pgpatch testdb` keeps: `manage.py test` without --keepdb,
// with --parallel 2 and with a TransactionTestCase, on the stock runner; a branch switch that
// brings a patch rebuilds the template by itself (the kit's `test` runs testdb first);
// `migrate --check` asks pgpatch; the model check fails a field that has no column.
//
// One project (test/django/project with the kit copied next to manage.py, kit/ on top) in a git
// repository of its own per server, its schema the demo's (fixtures/demo). The tests run as a
// role of their own with CREATEDB, member of the application role myapp (not a superuser, owner
// of nothing); pgpatch as the server's superuser (PGPATCH_DSN). Skipped, saying why, when
// /usr/bin/python3 cannot import django and psycopg2.
import test from 'ava';
import { spawn } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { CLI } from '../helpers/cli.mjs';
import { adminQuery } from '../helpers/database.mjs';
import { djangoProblem, PYTHON } from '../helpers/django.mjs';
import { git, tempDir } from '../helpers/gitdir.mjs';
import { eachServer } from '../helpers/servers.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const problem = djangoProblem();

/** `python manage.py ARGS` in the project, as `user` on database `dbName`. */
function manage(p, args, { user = p.role, dbName = p.devDb, env = {} } = {}) {
  const server = new URL(p.server);
  const clean = { ...process.env };
  for (const k of Object.keys(clean)) if (/^PG/.test(k) || k === 'DATABASE_URL' || k === 'DJANGO_SETTINGS_MODULE') delete clean[k];
  const fullEnv = {
    ...clean,
    DJANGO_SETTINGS_MODULE: 'kit_settings',
    DB_NAME: dbName,
    DB_HOST: server.hostname,
    DB_PORT: server.port,
    DB_USER: user,
    DB_TEMPLATE: p.template,
    PGPATCH_COMMAND: `${process.execPath} ${CLI}`,
    PGPATCH_DSN: p.server,
    PYTHONDONTWRITEBYTECODE: '1',
    ...env,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['manage.py', ...args], { cwd: p.dir, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** The project in a git repository of its own, its role, and the names of its template and (never created) dev database. */
async function kitProject(t, server) {
  const dir = tempDir('pgpatch-kit-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(here('./project/'), dir, { recursive: true });
  cpSync(here('../../django/pgpatch_django/'), join(dir, 'pgpatch_django'), { recursive: true });
  cpSync(here('./kit/kit_settings.py'), join(dir, 'kit_settings.py'));
  cpSync(here('./kit/test_flush.py'), join(dir, 'myapp/test_flush.py'));
  cpSync(here('../../fixtures/demo/'), join(dir, 'schema'), { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '.');
  git(dir, '-c', 'user.name=Ann', '-c', 'user.email=ann@example.org', 'commit', '-qm', 'the project');
  const id = randomBytes(4).toString('hex');
  const p = { dir, server: server.url, role: `kit_${id}`, template: `kit_${id}_template`, devDb: `kit_${id}` };
  t.teardown(async () => {
    for (const db of [p.template, `test_${p.devDb}`, `test_${p.devDb}_1`, `test_${p.devDb}_2`]) {
      await adminQuery(server.url, `alter database "${db}" is_template false`).catch(() => undefined);
      await adminQuery(server.url, `drop database if exists "${db}" with (force)`).catch(() => undefined);
    }
    await adminQuery(server.url, `drop role if exists ${p.role}`).catch(() => undefined);
  });
  return p;
}

/** Adds `line` to myapp's models after the field `after` (born_on: Author; in_print: BookSummary, on a view). */
function addField(p, after, line) {
  const path = join(p.dir, 'myapp/models.py');
  const text = readFileSync(path, 'utf8');
  writeFileSync(
    path,
    text.replace(new RegExp(`( *)${after} = .*\\n`), (m, indent) => `${m}${indent}${line}\n`),
  );
}

if (problem) {
  test.skip(`Django kit: skipped, ${problem}; install Debian's python3-django and python3-psycopg2`, () => {});
} else {
  eachServer(
    test,
    'the kit: manage.py test from the template (no --keepdb, --parallel 2, TransactionTestCase), a branch switch rebuilds it, the model check fails a field with no column',
    async (t, server) => {
      t.timeout(600000, 'five Django runs on a loaded 2-core machine');
      const p = await kitProject(t, server);

      // Stock runner, no --keepdb: the kit's test brings the template up (built: it was missing),
      // Django creates test_<NAME> from it, runs migrate (the kit's) and the checks, then the tests.
      await adminQuery(server.url, 'select 1'); // the server is up before the role is made
      const first = await manage(p, ['test', '--noinput'], { user: 'postgres' });
      t.is(first.code, 0, first.out);
      t.regex(first.out, new RegExp(`built ${p.template}: it was missing`));
      t.regex(first.out, /Ran 5 tests/);

      // As a role that may create databases and has myapp's privileges: the template carries TRUNCATE
      // for the flush of the TransactionTestCase; two workers clone test_<NAME> in turn.
      await adminQuery(server.url, `create role ${p.role} login createdb in role myapp`);
      const parallel = await manage(p, ['test', '--noinput', '--parallel', '2']);
      t.is(parallel.code, 0, parallel.out);
      t.regex(parallel.out, new RegExp(`${p.template} is current`));
      t.regex(parallel.out, /Ran 5 tests/);

      // migrate --check asks pgpatch, on Django's database (PGPATCH_DSN unset): nothing pending in the template.
      const clean = await manage(p, ['migrate', '--check'], { user: 'postgres', dbName: p.template, env: { PGPATCH_DSN: '' } });
      t.is(clean.code, 0, clean.out);

      // A branch that adds a column: schema files, patch and model field together.
      git(p.dir, 'checkout', '-q', '-b', 'nickname');
      writeFileSync(
        join(p.dir, 'schema/patches/2030-01-01_author_nickname.sql'),
        'alter table myapp.myapp_author add column nickname text;\n',
      );
      writeFileSync(
        join(p.dir, 'schema/database.sql'),
        `${readFileSync(join(p.dir, 'schema/database.sql'), 'utf8')}alter table myapp.myapp_author add column nickname text;\n`,
      );
      addField(p, 'born_on', 'nickname = models.TextField(null=True, blank=True)');
      const pending = await manage(p, ['migrate', '--check'], { user: 'postgres', dbName: p.template, env: { PGPATCH_DSN: '' } });
      t.is(pending.code, 1, pending.out);
      const switched = await manage(p, ['test', '--noinput', 'myapp.tests']);
      t.is(switched.code, 0, switched.out);
      t.regex(switched.out, new RegExp(`rebuilt ${p.template}: the schema files changed; the patches changed`));

      // A field with no column, on a table and on an unmanaged model's view: the model check (a database check) fails, naming it.
      addField(p, 'born_on', 'ghost = models.TextField(null=True)');
      addField(p, 'in_print', 'ghost_total = models.IntegerField()');
      const ghost = await manage(p, ['check', '--database', 'default'], { dbName: p.template });
      t.is(ghost.code, 1, ghost.out);
      t.regex(ghost.out, /pgpatch\.E002.*myapp\.Author\.ghost: no column ghost in table myapp_author/);
      t.regex(ghost.out, /pgpatch\.E002.*myapp\.BookSummary\.ghost_total: no column ghost_total in view myapp_book_summary/);
      t.notRegex(ghost.out, /nickname/);
    },
  );
}
