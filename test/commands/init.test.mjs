// init: the scaffold, never overwriting, loading into a real database, and the Makefile snippet.
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScript, scaffold, UsageError, targetFrom } from 'pgpatch';
import { CLI, runCli } from '../helpers/cli.mjs';
import { cleanEnv, createDatabase, mainServer, query } from '../helpers/database.mjs';
import { gitProject, plainProject } from '../helpers/gitdir.mjs';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const hasMake = spawnSync('make', ['--version']).status === 0;

test('init writes the layout, and a second run overwrites nothing', async (t) => {
  const root = plainProject(t);
  const first = await runCli(['init'], { cwd: root });
  t.is(first.code, 0, first.stderr);
  const files = ['schema/database.sql', 'schema/users.sql', 'schema/myapp.sql', 'schema/patches/.gitkeep', '.squawk.toml', 'pgpatch.mk'];
  t.is(first.stdout, files.map((f) => `created ${f}\n`).join(''));
  t.regex(first.stderr, /include pgpatch\.mk/);
  writeFileSync(join(root, 'schema/users.sql'), '-- mine\n');
  const before = Object.fromEntries(files.map((f) => [f, readFileSync(join(root, f), 'utf8')]));
  const second = await runCli(['init'], { cwd: root });
  t.is(second.code, 0);
  t.is(second.stdout, files.map((f) => `skipped ${f} (exists, left as it is)\n`).join(''));
  t.regex(second.stderr, /nothing to do/);
  for (const f of files) t.is(readFileSync(join(root, f), 'utf8'), before[f]);
  t.is(readFileSync(join(root, 'schema/users.sql'), 'utf8'), '-- mine\n');
});

test('init fills in the gaps of a half-made project', (t) => {
  const root = plainProject(t, { 'schema/database.sql': '-- ours\n' });
  const r = scaffold({ projectDir: root, schemaDir: join(root, 'schema'), patchesDir: join(root, 'schema/patches'), app: 'shop' });
  t.deepEqual(r.skipped, [join(root, 'schema/database.sql')]);
  t.true(r.written.includes(join(root, 'schema/shop.sql')));
  t.is(readFileSync(join(root, 'schema/database.sql'), 'utf8'), '-- ours\n');
});

test('--app must be a plain identifier, and not a role the layout already has', (t) => {
  const root = plainProject(t);
  const opts = { projectDir: root, schemaDir: join(root, 'schema'), patchesDir: join(root, 'schema/patches') };
  // order, user and select are keywords the templates would need in quotes (create schema order fails).
  for (const app of ['My App', '../x', 'a;drop', 'é', '1abc', '', 'public', 'backup', 'pg_x', 'order', 'user', 'select']) {
    t.throws(() => scaffold({ ...opts, app }), { instanceOf: UsageError }, app);
  }
  t.false(existsSync(join(root, 'schema')));
});

test('--no-makefile prints the snippet; other folders reach PGPATCH_FLAGS', async (t) => {
  const root = plainProject(t);
  const r = await runCli(['--schema-dir', 'db', '--patches-dir', 'db/changes', 'init', '--app', 'shop', '--no-makefile'], { cwd: root });
  t.is(r.code, 0, r.stderr);
  t.false(existsSync(join(root, 'pgpatch.mk')));
  t.regex(r.stdout, /^PGPATCH_FLAGS \?= --schema-dir db --patches-dir db\/changes$/m);
  t.true(existsSync(join(root, 'db/changes/.gitkeep')));
  t.true(existsSync(join(root, 'db/shop.sql')));
});

test('the scaffold loads into an empty database, twice at once (roles already there or being created)', async (t) => {
  const root = plainProject(t);
  const app = `initapp_${Math.random().toString(36).slice(2, 8)}`;
  scaffold({ projectDir: root, schemaDir: join(root, 'schema'), patchesDir: join(root, 'schema/patches'), app });
  const server = mainServer().url;
  const dbs = [await createDatabase(server, 'pgpatch_init'), await createDatabase(server, 'pgpatch_init')];
  t.teardown(async () => {
    for (const db of dbs) await db.drop();
  });
  const entry = join(root, 'schema/database.sql');
  const results = await Promise.all(dbs.map((db) => loadScript({ target: targetFrom(db.url, 'test'), entry })));
  for (const r of results) t.true(r.statements > 5);
  const { rows } = await query(dbs[0].url, `select nspname from pg_namespace where nspname = $1`, [app]);
  t.is(rows.length, 1);
  const roles = await query(server, `select rolname from pg_roles where rolname = any($1)`, [[app, 'backup', 'view']]);
  t.deepEqual(roles.rows.map((r) => r.rolname).sort(), [app, 'backup', 'view'].sort());
  // A third database: every role exists already, and users.sql still succeeds.
  const third = await createDatabase(server, 'pgpatch_init');
  dbs.push(third);
  await t.notThrowsAsync(loadScript({ target: targetFrom(third.url, 'test'), entry }));
});

(hasMake ? test : test.skip)(
  `the Makefile snippet: make makemigrations calls pgpatch${hasMake ? '' : ' (skipped: make is not installed)'}`,
  async (t) => {
    const root = gitProject(t, { README: 'x\n' });
    await runCli(['init'], { cwd: root });
    writeFileSync(join(root, 'Makefile'), 'include pgpatch.mk\n');
    const pgpatch = `${process.execPath} ${CLI}`;
    const noName = spawnSync('make', ['-s', 'makemigrations', `PGPATCH=${pgpatch}`], { cwd: root, encoding: 'utf8' });
    t.not(noName.status, 0);
    t.regex(noName.stderr, /usage: make makemigrations NAME=/);
    execFileSync('make', ['-s', 'makemigrations', 'NAME=add things', `PGPATCH=${pgpatch}`], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
    const patches = readdirSync(join(root, 'schema/patches')).filter((f) => f.endsWith('.sql'));
    t.is(patches.length, 1);
    t.regex(patches[0], /^\d{4}-\d\d-\d\d_add_things\.sql$/);
    // Quotes in NAME reach pgpatch as they are: the value travels in the environment.
    execFileSync('make', ['-s', 'makemigrations', "NAME=Bob's change", `PGPATCH=${pgpatch}`], {
      cwd: root,
      encoding: 'utf8',
      stdio: 'pipe',
    });
    t.true(
      readdirSync(join(root, 'schema/patches')).some((f) => /_bob_s_change\.sql$|_bobs_change\.sql$/.test(f)),
      readdirSync(join(root, 'schema/patches')).join(' '),
    );
    const dry = execFileSync(
      'make',
      ['-n', 'migrate', 'planmigrations', 'showmigrations', 'squashmigrations', 'sqlmigrate', 'checkschema', 'NAME=x', 'BEFORE=2026-01-01'],
      { cwd: root, encoding: 'utf8' },
    );
    t.regex(dry, /^npx --no-install pgpatch +migrate$/m);
    t.regex(dry, /^npx --no-install pgpatch +migrate --plan$/m);
    t.regex(dry, /^npx --no-install pgpatch +showmigrations$/m);
    t.regex(dry, /^npx --no-install pgpatch +squashmigrations \$\{PGPATCH_BEFORE:\+--before "\$PGPATCH_BEFORE"\}$/m);
    t.regex(dry, /^npx --no-install pgpatch +sqlmigrate -- "\$PGPATCH_NAME"$/m);
    t.regex(dry, /^npx --no-install pgpatch +check --base "\$PGPATCH_BASE"$/m);
  },
);

test("init --django: Django's own tables in schema/django.sql, included before the app's; the kit copied into the project; a second run overwrites nothing", async (t) => {
  const root = plainProject(t);
  const first = await runCli(['init', '--django'], { cwd: root });
  t.is(first.code, 0, first.stderr);
  const kit = ['__init__.py', 'apps.py', 'checks.py', 'pgpatch.py', 'management/__init__.py', 'management/commands/__init__.py']
    .concat(['flush.py', 'migrate.py', 'test.py'].map((f) => `management/commands/${f}`))
    .map((f) => `pgpatch_django/${f}`);
  for (const f of ['schema/django.sql', ...kit]) t.regex(first.stdout, new RegExp(`^created ${f.replace(/\./g, '\\.')}$`, 'm'), f);
  for (const f of kit) t.is(readFileSync(join(root, f), 'utf8'), readFileSync(join(REPO, 'django', f), 'utf8'), f);
  const entry = readFileSync(join(root, 'schema/database.sql'), 'utf8');
  t.regex(entry, /^\\i django\.sql\n(?:.*\n)*?\\i myapp\.sql$/m, 'django.sql before myapp.sql');
  t.regex(first.stderr, /INSTALLED_APPS/);
  writeFileSync(join(root, 'pgpatch_django/apps.py'), '# mine\n');
  const second = await runCli(['init', '--django'], { cwd: root });
  t.is(second.code, 0, second.stderr);
  t.notRegex(second.stdout, /^created/m);
  t.is(readFileSync(join(root, 'pgpatch_django/apps.py'), 'utf8'), '# mine\n');
  // Without --django: no Django table, no kit, no include of a file that is not there.
  const plain = plainProject(t);
  await runCli(['init'], { cwd: plain });
  t.false(existsSync(join(plain, 'schema/django.sql')));
  t.false(existsSync(join(plain, 'pgpatch_django')));
  t.notRegex(readFileSync(join(plain, 'schema/database.sql'), 'utf8'), /^\\i django\.sql/m);
  // Over a database.sql of the project's own: django.sql is written, and the user told to include it.
  const later = await runCli(['init', '--django'], { cwd: plain });
  t.is(later.code, 0, later.stderr);
  t.regex(later.stdout, /^created schema\/django\.sql$/m);
  t.regex(later.stderr, /schema\/django\.sql is not included yet: add "\\i django\.sql" to database\.sql/);
});

test("init --django: the schema loads, and Django's tables are in the app's schema", async (t) => {
  const root = plainProject(t);
  const app = `djapp_${Math.random().toString(36).slice(2, 8)}`;
  t.is((await runCli(['init', '--django', '--app', app], { cwd: root })).code, 0);
  const db = await createDatabase(mainServer().url, 'pgpatch_init');
  t.teardown(() => db.drop());
  await loadScript({ target: targetFrom(db.url, 'test'), entry: join(root, 'schema/database.sql') });
  const { rows } = await query(
    db.url,
    `select relname from pg_class where relnamespace = $1::regnamespace and relkind = 'r' and relname like any (array['django%', 'auth%']) order by 1`,
    [app],
  );
  t.deepEqual(
    rows.map((r) => r.relname),
    [
      'auth_group',
      'auth_group_permissions',
      'auth_permission',
      'auth_user',
      'auth_user_groups',
      'auth_user_user_permissions',
      'django_admin_log',
      'django_content_type',
      'django_session',
    ],
  );
});

(hasMake ? test : test.skip)(
  `pgpatch.mk: make devdb and make testdb, without a terminal${hasMake ? '' : ' (skipped: make is not installed)'}`,
  async (t) => {
    const root = plainProject(t);
    const app = `mkapp_${Math.random().toString(36).slice(2, 8)}`;
    await runCli(['init', '--app', app], { cwd: root });
    const server = mainServer().url;
    const dev = await createDatabase(server, 'pgpatch_init');
    const template = `${app}_template`;
    t.teardown(async () => {
      await dev.drop();
      await query(server, `alter database ${template} is_template false`).catch(() => undefined);
      await query(server, `drop database if exists ${template}`);
    });
    const env = { ...cleanEnv(), DATABASE_URL: dev.url };
    const make = (...args) =>
      spawnSync('make', ['-s', '-f', 'pgpatch.mk', `PGPATCH=${process.execPath} ${CLI}`, ...args], {
        cwd: root,
        env,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    const devdb = make('devdb');
    t.is(devdb.status, 0, devdb.stderr);
    t.is((await query(dev.url, `select count(*)::int as n from pg_namespace where nspname = $1`, [app])).rows[0].n, 1);
    const testdb = make('testdb');
    t.is(testdb.status, 0, testdb.stderr);
    t.is((await query(server, `select datistemplate from pg_database where datname = $1`, [template])).rows[0]?.datistemplate, true);
    t.regex(make('testdb').stdout + make('testdb').stderr, /is current/);
  },
);
