// A real Django (Debian's python3-django, 3.2 on Debian 12) on a database that pgpatch builds
// from fixtures/demo: the reference's claim that "Django will not notice anything at all", tested.
// The project in test/django/project connects as the demo's application role myapp (not a
// superuser, owner of nothing), has no migrations for any app, and reports what happened as JSON
// (manage.py probe SCENARIO TAG, and the TestCase's report file); the assertions are here.
//
// Every test runs on each test server (PostgreSQL 18 and 15: eachServer in test/helpers/servers.mjs),
// each server with its own shared database. All of them, not just the most catalog-sensitive one:
// measured on the 2-core test machine while others' work loaded it, the file took 0.5-5 s longer
// on both servers than on 18 alone (about 4 s more CPU), well under the 20 s that would have
// justified running less.
//
// Skipped, saying why, when /usr/bin/python3 cannot import django and psycopg2 (.ci/run installs
// python3-django and python3-psycopg2 with apt-get when it can). PGPATCH_TEST_PYTHON overrides
// the interpreter. Not /usr/bin/env python3: a pyenv or venv Python does not see Debian's packages.
import test from 'ava';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runCli } from '../helpers/cli.mjs';
import { adminQuery, createDatabase, query, urlFor } from '../helpers/database.mjs';
import { eachServer, testServers } from '../helpers/servers.mjs';

const PYTHON = process.env.PGPATCH_TEST_PYTHON || '/usr/bin/python3';
const PROJECT = fileURLToPath(new URL('./project/', import.meta.url));
const DEMO = fileURLToPath(new URL('../../fixtures/demo/', import.meta.url));

/** { why } the Django tests cannot run here; why: null and the versions when they can. */
function djangoProblem() {
  const r = spawnSync(PYTHON, ['-c', 'import django, psycopg2; print(django.get_version(), psycopg2.__version__.split()[0])'], {
    encoding: 'utf8',
    timeout: 30000,
  });
  if (r.error) return { why: `${PYTHON} cannot run (${r.error.code ?? r.error.message})` };
  if (r.status !== 0) {
    const last = r.stderr.trim().split('\n').pop();
    return { why: `${PYTHON} cannot import django and psycopg2 (${last})` };
  }
  const [django, psycopg2] = r.stdout.trim().split(' ');
  return { why: null, django, psycopg2 };
}

const python = djangoProblem();

if (python.why) {
  test.skip(`Django end to end: skipped, ${python.why}; install Debian's python3-django and python3-psycopg2 (.ci/run does when apt-get works)`, () => {});
} else {
  registerTests();
}

// --- helpers -------------------------------------------------------------------------------

/** Runs `python manage.py ARGS` in `dir` as role myapp on database `dbName` of `serverUrl`. */
function manage(args, { dir = PROJECT, serverUrl, dbName, env = {} }) {
  const server = new URL(serverUrl);
  const clean = { ...process.env };
  for (const k of Object.keys(clean)) if (/^PG/.test(k) || k === 'DATABASE_URL' || k === 'DJANGO_SETTINGS_MODULE') delete clean[k];
  const fullEnv = {
    ...clean,
    DB_NAME: dbName,
    DB_HOST: server.hostname,
    DB_PORT: server.port,
    DB_USER: 'myapp',
    PYTHONDONTWRITEBYTECODE: '1', // no __pycache__ in the source tree
    ...env,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['manage.py', ...args], { cwd: dir, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The JSON object a command printed as its last line of stdout. */
function lastJson(t, r, what) {
  t.is(r.code, 0, `${what} failed:\n${r.stderr}`);
  const line = r.stdout.trim().split('\n').pop();
  try {
    return JSON.parse(line);
  } catch {
    t.fail(`${what} printed no JSON:\n${r.stdout}\n${r.stderr}`);
    return {};
  }
}

let tags = 0;
/** `manage.py probe SCENARIO TAG` on the shared database of `server`: the scenario's outcome. */
async function probe(t, server, scenario) {
  const tag = `${scenario.replace(/_/g, '')}${process.pid}n${++tags}`;
  return lastJson(
    t,
    await manage(['probe', scenario, tag], { serverUrl: server.url, dbName: sharedBy[server.label].name }),
    `manage.py probe ${scenario}`,
  );
}

/** A valid ISBN-13 from 12 digits. */
function isbn13(first12) {
  const sum = [...first12].reduce((s, d, i) => s + Number(d) * (i % 2 === 0 ? 1 : 3), 0);
  return first12 + String((10 - (sum % 10)) % 10);
}

async function pgpatchLoad(t, url) {
  const r = await runCli(['load', '--dsn', url, 'database.sql'], { cwd: DEMO, env: { NODE_EXTRA_CA_CERTS: undefined } });
  t.is(r.code, 0, `pgpatch load failed:\n${r.stderr}`);
}

// The database the probes share, built once per test server by pgpatch, and the test database of
// "manage.py test": Django's name for it is test_<NAME>; myapp may not create databases, and
// with --keepdb Django uses the one that exists. By server label: sharedBy.pg18, sharedBy.pg15.
const sharedBy = {};

function registerTests() {
  test.before(async (t) => {
    t.log(`Django ${python.django}, psycopg2 ${python.psycopg2} (${PYTHON})`);
    await Promise.all(
      testServers.map(async (server) => {
        const db = await createDatabase(server.url, 'bookshop');
        const s = Object.assign({}, db, {
          server: server.url,
          testName: `test_${db.name}`,
          testUrl: urlFor(server.url, `test_${db.name}`),
        });
        sharedBy[server.label] = s;
        await adminQuery(server.url, `create database "${s.testName}"`);
        await Promise.all([pgpatchLoad(t, s.url), pgpatchLoad(t, s.testUrl)]);
      }),
    );
  });

  test.after.always(async () => {
    for (const s of Object.values(sharedBy)) {
      await s.drop();
      await adminQuery(s.server, `drop database if exists "${s.testName}" with (force)`);
    }
  });

  eachServer(test, 'Django connects as myapp, not a superuser; its ORM creates, reads, updates and deletes rows', async (t, server) => {
    const shared = sharedBy[server.label];
    const r = await probe(t, server, 'crud');
    t.like(r.session, { current_user: 'myapp', session_user: 'myapp', superuser: false, database: shared.name });
    t.like(r.read, { price: '12.50', stock: 3 });
    t.regex(r.read.author, /^Ann /);
    t.regex(r.read.email, /^ann\..*@example\.org$/);
    // The collation of domain email_address: a lookup in another case finds the author.
    t.is(r.email_lookup_other_case, 1);
    t.deepEqual(r.updated, { price: '14.00', stock: 5, updated_at_moved_by_trigger: true });
    t.is(r.deleted_books, 1);
    t.deepEqual(r.left, { authors: 0, books: 0 });

    // The audit triggers recorded every write, made by myapp, read here as the superuser.
    const { rows } = await query(
      shared.url,
      `
      select table_name, operation, db_user, application_name, new_row, old_row
      from audit.log
      where (table_name = 'myapp_author' and coalesce(new_row, old_row) ->> 'id' = $1)
         or (table_name = 'myapp_book' and coalesce(new_row, old_row) ->> 'id' = $2)
      order by id`,
      [String(r.created.author_id), String(r.created.book_id)],
    );
    t.deepEqual(
      rows.map((x) => `${x.table_name} ${x.operation}`),
      [
        'myapp_author INSERT',
        'myapp_book INSERT',
        'myapp_book UPDATE', // save()
        'myapp_book UPDATE', // QuerySet.update()
        'myapp_author UPDATE',
        'myapp_book DELETE',
        'myapp_author DELETE',
      ],
    );
    t.true(rows.every((x) => x.db_user === 'myapp' && x.application_name === 'django bookshop'));
    t.is(rows[1].new_row.isbn, r.created.isbn);
    t.like(rows[3], { old_row: { stock: 3 }, new_row: { stock: 5, price: 14 } });
  });

  eachServer(test, 'a read-only model on the view myapp_book_summary reads what the database aggregates', async (t, server) => {
    const r = await probe(t, server, 'view');
    t.is(r.rows.length, 2);
    t.like(r.by_pk, { copies_sold: 6, in_print: true });
    t.deepEqual(
      r.rows.map((x) => [x.in_print, x.copies_sold]),
      [
        [false, 0],
        [true, 6],
      ],
    );
    t.is(r.in_print_titles.length, 1);
    // The orders went through the ORM into the yearly partitions, and the default one.
    t.deepEqual(r.order_partitions, { 2020: 'myapp_order_default', 2024: 'myapp_order_2024', 2025: 'myapp_order_2025' });
    t.like(r.save.error, { class: 'builtins.TypeError' });
    // Past the model's guard, the database refuses to write through the view.
    t.like(r.queryset_update.error, { class: 'django.db.utils.OperationalError', sqlstate: '55000' });
    t.regex(r.queryset_update.error.message, /cannot update view "myapp_book_summary"/);
  });

  eachServer(test, 'constraints of the schema reach Django as IntegrityError naming the domain and constraint', async (t, server) => {
    const r = await probe(t, server, 'constraints');
    t.like(r.bad_checksum.error, {
      class: 'django.db.utils.IntegrityError',
      sqlstate: '23514',
      datatype: 'isbn13',
      constraint: 'isbn13_checksum_ck',
    });
    t.regex(r.bad_checksum.error.message, /value for domain isbn13 violates check constraint "isbn13_checksum_ck"/);
    // Which of the domain's two checks fires first is the server's business: either names it.
    t.like(r.bad_format.error, { class: 'django.db.utils.IntegrityError', datatype: 'isbn13' });
    t.regex(r.bad_format.error.constraint, /^isbn13_(format|checksum)_ck$/);
    t.like(r.bad_email.error, {
      class: 'django.db.utils.IntegrityError',
      datatype: 'email_address',
      constraint: 'email_address_format_ck',
    });
    t.like(r.email_other_case.error, { class: 'django.db.utils.IntegrityError', sqlstate: '23505', constraint: 'myapp_author_email_uq' });
    t.like(r.oversold.error, { class: 'django.db.utils.IntegrityError', constraint: 'myapp_book_stock_ck' });
    t.is(r.books_of_author, 1);
  });

  eachServer(test, 'myapp reads audit.log but cannot change, delete or add rows, nor disable the audit triggers', async (t, server) => {
    const shared = sharedBy[server.label];
    // Something to protect: a row logged for a change made outside Django.
    await query(shared.url, "insert into myapp.myapp_author (name) values ('Written by psql')");
    const snapshot = async (maxId) =>
      (await query(shared.url, 'select id, l::text as row from audit.log l where id <= $1 order by id', [maxId])).rows;
    const {
      rows: [{ max }],
    } = await query(shared.url, 'select max(id)::int as max from audit.log');
    const before = await snapshot(max);

    const r = await probe(t, server, 'audit_permissions');
    t.like(r.session, { current_user: 'myapp', superuser: false });
    t.true(r.select.ok[0][0] >= 1);
    for (const what of ['update', 'delete', 'truncate', 'insert']) {
      t.like(r[what].error, { class: 'django.db.utils.ProgrammingError', sqlstate: '42501' }, what);
      t.regex(r[what].error.message, /permission denied for table log/, what);
    }
    for (const what of ['disable_trigger', 'drop_trigger']) {
      t.like(r[what].error, { class: 'django.db.utils.ProgrammingError', sqlstate: '42501' }, what);
      t.regex(r[what].error.message, /must be owner of (table|relation) myapp_book/, what);
    }
    t.deepEqual(await snapshot(max), before);
    const { rows: triggers } = await query(
      shared.url,
      "select tgname, tgenabled from pg_trigger where tgrelid = 'myapp.myapp_book'::regclass and tgname = 'myapp_book_audit'",
    );
    t.deepEqual(triggers, [{ tgname: 'myapp_book_audit', tgenabled: 'O' }]);
  });

  eachServer(test, "Django's migration commands find nothing to do and change no schema", async (t, server) => {
    const shared = sharedBy[server.label];
    const check = await manage(['makemigrations', '--check', '--dry-run'], { serverUrl: server.url, dbName: shared.name });
    t.is(check.code, 0, check.stderr);
    t.regex(check.stdout, /No changes detected/);
    // The kit's migrate (django/pgpatch_django) checks and syncs rows only.
    const migrate = await manage(['migrate', '--no-input'], { serverUrl: server.url, dbName: shared.name });
    t.is(migrate.code, 0, migrate.stderr);
    t.regex(migrate.stdout, /13 models have their table or view in bookshop_\w+; .*npx pgpatch migrate/);
    t.is(
      (await query(shared.url, "select to_regclass('myapp.django_migrations') as t, to_regclass('public.django_migrations') as p")).rows[0]
        .t,
      null,
    );
    const { rows } = await query(shared.url, "select count(*)::int as n from myapp.django_content_type where app_label = 'myapp'");
    t.is(rows[0].n, 4); // author, book, order, booksummary: post_migrate ran as myapp
  });

  eachServer(test, 'manage.py test --keepdb runs a Django TestCase on test_<NAME>, built by pgpatch', async (t, server) => {
    const shared = sharedBy[server.label];
    const dir = mkdtempSync(join(tmpdir(), 'pgpatch-django-report-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const report = join(dir, 'report.json');
    const r = await manage(['test', '--keepdb', '--no-input', 'myapp'], {
      serverUrl: server.url,
      dbName: shared.name,
      env: { PGPATCH_DJANGO_REPORT: report },
    });
    t.is(r.code, 0, `${r.stdout}\n${r.stderr}`);
    t.regex(r.stderr, /Using existing test database for alias 'default'/);
    t.regex(r.stderr, /Ran 3 tests/);
    t.regex(r.stderr, /\nOK\n/);
    t.regex(r.stderr, /Preserving test database for alias 'default'/);
    const seen = JSON.parse(readFileSync(report, 'utf8'));
    t.deepEqual(seen.database, { name: shared.testName, user: 'myapp', book_insert_audited: 1, authors_seen: 1, books_seen: 1 });
    t.regex(seen.bad_isbn.message, /isbn13_checksum_ck/);
    t.is(seen.bad_isbn.class, 'IntegrityError');
    t.deepEqual(seen.permissions, { clerk_can_change_book: true, clerk_can_delete_book: false, content_type: 'myapp | book summary' });
    // The test database is kept, its TestCase data rolled back, and Django made no table.
    const { rows } = await query(
      shared.testUrl,
      `
      select (select count(*)::int from myapp.myapp_book) as books,
             (select count(*)::int from myapp.auth_permission) > 0 as permissions,
             to_regclass('myapp.django_migrations') is null and to_regclass('public.django_migrations') is null as no_django_migrations`,
    );
    t.deepEqual(rows[0], { books: 0, permissions: true, no_django_migrations: true });
  });

  eachServer(
    test,
    'adding a non-nullable field: the patch adds, fills and sets NOT NULL; migrate applies it; Django uses it',
    async (t, server) => {
      const dir = mkdtempSync(join(tmpdir(), 'pgpatch-django-uuid-'));
      const databases = [];
      t.teardown(async () => {
        for (const d of databases) await d.drop();
        rmSync(dir, { recursive: true, force: true });
      });
      // A project as a team keeps it: the Django project, and the schema in schema/, in git.
      cpSync(PROJECT, dir, { recursive: true, filter: (src) => !src.includes('__pycache__') });
      cpSync(DEMO, join(dir, 'schema'), { recursive: true });
      // The kit next to manage.py, as a project has it (manage.py finds the package's only in this repository).
      cpSync(fileURLToPath(new URL('../../django/pgpatch_django/', import.meta.url)), join(dir, 'pgpatch_django'), { recursive: true });
      const git = await gitRepo(dir);
      const pgpatch = (args, url) =>
        runCli([...args, ...(url ? ['--dsn', url] : [])], { cwd: dir, env: { NODE_EXTRA_CA_CERTS: undefined } });

      // Production before the change: built by migrate from an empty database (which records the
      // baseline), with books written since.
      const db = await createDatabase(server.url, 'bookshop_uuid');
      databases.push(db);
      let r = await pgpatch(['migrate', '--no-input'], db.url);
      t.is(r.code, 0, r.stderr);
      t.regex(r.stderr, /empty database without a record: building it from the schema files/);
      await query(
        db.url,
        `
      with a as (insert into myapp.myapp_author (name) values ('Before the patch') returning id)
      insert into myapp.myapp_book (isbn, title, author_id, price)
      select isbn, title, a.id, 10 from a, (values ($1, 'One'), ($2, 'Two'), ($3, 'Three')) b (isbn, title)`,
        [isbn13('978000000001'), isbn13('978000000002'), isbn13('978000000003')],
      );

      // The developer changes the model and the schema file...
      edit(t, join(dir, 'myapp', 'models.py'), [
        ['from django.db import models\n', 'import uuid\n\nfrom django.db import models\n'],
        [
          '    updated_at = models.DateTimeField(auto_now=True)\n',
          '    updated_at = models.DateTimeField(auto_now=True)\n    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)\n',
        ],
      ]);
      edit(t, join(dir, 'schema', 'myapp.sql'), [
        [
          '    updated_at timestamptz not null default now(),\n',
          '    updated_at timestamptz not null default now(),\n    uuid uuid not null,\n',
        ],
        [
          '    constraint myapp_book_isbn_uq unique (isbn),\n',
          '    constraint myapp_book_isbn_uq unique (isbn),\n    constraint myapp_book_uuid_uq unique (uuid),\n',
        ],
      ]);
      // ...primes the patch with makemigrations (the diff of the schema files as comments)...
      const body = [
        'SET LOCAL search_path TO myapp, public;',
        'ALTER TABLE myapp_book ADD uuid uuid;',
        'UPDATE myapp_book SET uuid = gen_random_uuid();',
        'ALTER TABLE myapp_book ALTER uuid SET NOT NULL;',
        'ALTER TABLE myapp_book ADD CONSTRAINT myapp_book_uuid_uq UNIQUE (uuid);',
      ].join('\n');
      let patchFile;
      r = git ? await pgpatch(['makemigrations', 'book uuid']) : null;
      if (r && !/unknown command/i.test(r.stderr)) {
        t.is(r.code, 0, r.stderr);
        const written = readdirSync(join(dir, 'schema', 'patches')).filter((f) => f.endsWith('.sql'));
        t.is(written.length, 1, written.join(', '));
        patchFile = join(dir, 'schema', 'patches', written[0]);
        const stub = readFileSync(patchFile, 'utf8');
        t.regex(stub, /^--.*\+\s+uuid uuid not null,$/m, 'the primed patch shows the schema diff');
        // ...and writes the statements between the stub's BEGIN and COMMIT.
        const filled = stub.replace(/^BEGIN;\n[\s\S]*?^COMMIT;$/m, `BEGIN;\n${body}\nCOMMIT;`);
        t.not(filled, stub, 'the stub has a BEGIN ... COMMIT block to fill');
        writeFileSync(patchFile, filled);
      } else {
        t.log(r ? 'pgpatch has no makemigrations command yet: the patch is written by hand' : 'no git here: the patch is written by hand');
        mkdirSync(join(dir, 'schema', 'patches'), { recursive: true });
        patchFile = join(dir, 'schema', 'patches', `${localDate()}_book_uuid.sql`);
        writeFileSync(patchFile, `-- Books get a public identifier, Book.uuid in Django.\nBEGIN;\n${body}\nCOMMIT;\n`, { flag: 'wx' });
      }
      const name = patchFile
        .split('/')
        .pop()
        .replace(/\.sql$/, '');
      t.regex(name, /^\d{4}-\d{2}-\d{2}_book_uuid$/);

      // Deployment: migrate --check says there is work, migrate applies it, then nothing is left.
      r = await pgpatch(['migrate', '--check'], db.url);
      t.is(r.code, 1, r.stdout + r.stderr);
      r = await pgpatch(['migrate', '--no-input'], db.url);
      t.is(r.code, 0, r.stderr);
      r = await pgpatch(['migrate', '--check'], db.url);
      t.is(r.code, 0, r.stdout + r.stderr);
      r = await pgpatch(['showmigrations'], db.url);
      t.regex(r.stdout, new RegExp(`^\\[X\\] ${name}\\b`, 'm'));
      const { rows: filledRows } = await query(
        db.url,
        'select count(*)::int as books, count(distinct uuid)::int as uuids from myapp.myapp_book',
      );
      t.deepEqual(filledRows[0], { books: 3, uuids: 3 });

      // Django, with the new field, reads the filled values and writes new ones.
      const script = `
import json
from decimal import Decimal
from django.db import IntegrityError, connection, transaction
from myapp.models import Author, Book
old = [str(u) for u in Book.objects.order_by('id').values_list('uuid', flat=True)]
author = Author.objects.get(name='Before the patch')
book = Book.objects.create(isbn='${isbn13('978000000004')}', title='After the patch', author=author, price=Decimal('5.00'))
found = Book.objects.get(uuid=book.uuid)
try:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("insert into myapp_book (isbn, title, author_id, price) values (%s, 'No uuid', %s, 1)",
                       ['${isbn13('978000000005')}', author.id])
    not_null = None
except IntegrityError as e:
    not_null = {'sqlstate': e.__cause__.pgcode, 'column': e.__cause__.diag.column_name}
print(json.dumps({'old': old, 'new': str(book.uuid), 'found': found.id == book.id, 'not_null': not_null}))
`;
      const out = lastJson(t, await manage(['shell', '-c', script], { dir, serverUrl: server.url, dbName: db.name }), 'manage.py shell');
      t.is(out.old.length, 3);
      t.true(out.old.every((u) => /^[0-9a-f-]{36}$/.test(u)));
      t.regex(out.new, /^[0-9a-f-]{36}$/);
      t.true(out.found);
      t.deepEqual(out.not_null, { sqlstate: '23502', column: 'uuid' });

      // The schema files agree with the patch: a database built from them has the same column and
      // constraint, and records the patch as already contained ("assumed").
      const fresh = await createDatabase(server.url, 'bookshop_uuid_fresh');
      databases.push(fresh);
      r = await pgpatch(['migrate', '--no-input'], fresh.url);
      t.is(r.code, 0, r.stderr);
      const shape = async (url) =>
        (
          await query(
            url,
            `
      select a.attname, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull,
             (select array_agg(conname order by conname) from pg_constraint where conrelid = a.attrelid and a.attnum = any (conkey)) as constraints
      from pg_attribute a where a.attrelid = 'myapp.myapp_book'::regclass and a.attnum > 0 and not a.attisdropped
      order by a.attnum`,
          )
        ).rows;
      t.deepEqual(await shape(fresh.url), await shape(db.url));
      t.deepEqual((await query(fresh.url, 'select name, status from public.schema_patch')).rows, [{ name, status: 'assumed' }]);
    },
  );
}

/** Replaces each [from, to] once in a file; fails the test when `from` is not there. */
function edit(t, file, replacements) {
  let text = readFileSync(file, 'utf8');
  for (const [from, to] of replacements) {
    if (!text.includes(from)) t.fail(`${file} no longer contains ${JSON.stringify(from)}`);
    text = text.replace(from, to);
  }
  writeFileSync(file, text);
}

/** Makes `dir` a git repository with everything committed; false when git is missing. */
async function gitRepo(dir) {
  const run = promisify(execFile);
  try {
    await run('git', ['init', '-q', '-b', 'main'], { cwd: dir });
    await run('git', ['config', 'user.name', 'Test Developer'], { cwd: dir });
    await run('git', ['config', 'user.email', 'dev@example.org'], { cwd: dir });
    await run('git', ['add', '.'], { cwd: dir });
    await run('git', ['commit', '-q', '-m', 'bookshop before the change'], { cwd: dir });
    return true;
  } catch (e) {
    if (e.code === 'ENOENT') return false;
    throw e;
  }
}

function localDate() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}
