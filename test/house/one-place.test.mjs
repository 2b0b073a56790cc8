// One place for each concern (issue 19): the target is read once, a patch a name means is found
// by one lookup for every command, and scratch servers are targets like any other, in every
// form libpq reads.
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminQuery, createDatabase, freshDatabase, mainServer, query, useDatabase } from '../helpers/database.mjs';
import { makeProject, pgpatch, projectWithRecord, statuses } from '../helpers/project.mjs';
import { runCli } from '../helpers/cli.mjs';

useDatabase(test);

test.afterEach.always((t) => t.context.project?.cleanup());

/** The parts of a URL libpq's key/value form needs. */
function parts(url) {
  const u = new URL(url);
  return { host: u.hostname, port: u.port, user: decodeURIComponent(u.username), dbname: u.pathname.slice(1) };
}

test('a service file edited during a run does not move it: every patch and PATCH_DSN go where the run started', async (t) => {
  const { p, url } = await projectWithRecord(t);
  const other = await createDatabase(mainServer().url, 'pgpatch_other');
  t.teardown(() => other.drop());
  const a = parts(url);
  const b = parts(other.url);
  const serviceFile = join(p.dir, 'pg_service.conf');
  const section = (x) => `[app]\nhost=${x.host}\nport=${x.port}\nuser=${x.user}\ndbname=${x.dbname}\n`;
  writeFileSync(serviceFile, section(a));
  // The first patch's pre script points the service at the other database half-way through the run.
  p.patch('2024-01-01_a.sql', "insert into log (name) values ('a');\n");
  p.script('2024-01-01_a.pre.sh', `printf '%s' '${section(b).replace(/\n/g, '\\n')}' > '${serviceFile}'`);
  p.patch('2024-01-02_b.sql', "insert into log (name) values ('b');\n");
  p.script('2024-01-02_b.pre.sh', `printf %s "$PATCH_DSN" > '${join(p.dir, 'dsn.txt')}'`);
  const r = await runCli(['migrate', '--dsn', 'service=app'], {
    cwd: p.dir,
    env: { PGSERVICEFILE: serviceFile, NODE_EXTRA_CA_CERTS: undefined },
  });
  t.is(r.code, 0, r.stderr);
  t.regex(readFileSync(serviceFile, 'utf8'), new RegExp(`dbname=${b.dbname}`), 'the service did move');
  t.deepEqual(
    (await query(url, 'select name from log order by id')).rows.map((x) => x.name),
    ['a', 'b'],
  );
  t.deepEqual(await statuses(url), { '2024-01-01_a': 'applied', '2024-01-02_b': 'applied' });
  t.regex(readFileSync(join(p.dir, 'dsn.txt'), 'utf8'), new RegExp(`/${a.dbname}(\\?|$)`));
  t.is((await adminQuery(other.url, "select count(*)::int as n from pg_tables where tablename = 'schema_patch'")).rows[0].n, 0);
});

test('migrate --plan, --fake, --retry and TARGET take a patch by its file, archived too; a file that is not a patch is refused', async (t) => {
  const { p, url } = await projectWithRecord(t);
  p.patch('2024/01/2024-01-05_old.sql', "insert into log (name) values ('old');\n");
  p.patch('2024-02-01_a.sql', "insert into log (name) values ('a');\n");
  p.patch('2024-03-01_b.sql', "insert into log (name) values ('b');\n");
  const plan = await pgpatch(p, url, 'migrate', ['--plan', 'schema/patches/2024-02-01_a.sql']);
  t.is(plan.code, 0, plan.stderr);
  t.regex(plan.stdout, /would apply 2024-01-05_old/);
  t.regex(plan.stdout, /would apply 2024-02-01_a/);
  t.notRegex(plan.stdout, /2024-03-01_b/);
  const fake = await pgpatch(p, url, 'migrate', ['--fake', 'schema/patches/2024/01/2024-01-05_old.sql']);
  t.is(fake.code, 0, fake.stderr);
  const upTo = await pgpatch(p, url, 'migrate', [join(p.patchesDir, '2024-02-01_a.sql')]);
  t.is(upTo.code, 0, upTo.stderr);
  t.deepEqual(await statuses(url), { '2024-01-05_old': 'applied', '2024-02-01_a': 'applied' });
  t.deepEqual(
    (await query(url, 'select name from log order by id')).rows.map((x) => x.name),
    ['a'],
  );
  writeFileSync(join(p.dir, 'stray.sql'), 'select 1;\n');
  const stray = await pgpatch(p, url, 'migrate', ['--fake', 'stray.sql']);
  t.is(stray.code, 2);
  t.regex(stray.stderr, /--fake stray\.sql: stray\.sql is not a patch of .*schema\/patches/);
  t.deepEqual(await statuses(url), { '2024-01-05_old': 'applied', '2024-02-01_a': 'applied' });
});

test('every command that names a patch says the same when none answers, and takes the same file', async (t) => {
  const p = (t.context.project = makeProject({ patches: { '2024-01-01_a.sql': 'select 1;\n', '2024-01-02_b.sql': 'select 2;\n' } }));
  const url = t.context.db.url;
  const unknown = /no patch named "2030" or starting with it in .*schema\/patches/;
  for (const args of [
    ['sqlmigrate', '2030'],
    ['lint', '2030'],
    ['try', '2030', '--no-schema-files', '--dsn', url],
    ['migrate', '--plan', '2030', '--dsn', url],
  ]) {
    const r = await runCli(args, { cwd: p.dir });
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, unknown, args.join(' '));
  }
  const ambiguous = await runCli(['sqlmigrate', '2024'], { cwd: p.dir });
  t.regex(ambiguous.stderr, /"2024" matches 2 patches: 2024-01-01_a, 2024-01-02_b/);
  const byFile = await runCli(['sqlmigrate', 'schema/patches/2024-01-02_b.sql'], { cwd: p.dir });
  t.is(byFile.code, 0, byFile.stderr);
  t.is(byFile.stdout, 'select 2;\n');
});

for (const [form, scratchOf] of [
  ['key/value', (u) => `host=${u.host} port=${u.port} user=${u.user} dbname=postgres`],
  ['socket URI', (u) => `postgresql://${u.user}@/postgres?host=${encodeURIComponent(u.socketDir)}&port=${u.port}`],
]) {
  test(`diff builds schema files on a scratch server given as a ${form} (PGPATCH_SCRATCH_URL)`, async (t) => {
    const server = parts(mainServer().url);
    const socketDir = (await adminQuery(mainServer().url, "select split_part(current_setting('unix_socket_directories'), ',', 1) as d"))
      .rows[0].d;
    const p = (t.context.project = makeProject({ database: 'create table book (id int primary key, title text);\n' }));
    const db = await freshDatabase(t, mainServer().url);
    await query(db.url, 'create table book (id int primary key)');
    const scratch = scratchOf({ ...server, socketDir });
    const r = await runCli(['diff', '--from', db.url, '--to', 'schema/database.sql'], {
      cwd: p.dir,
      env: { PGPATCH_SCRATCH_URL: scratch, NODE_EXTRA_CA_CERTS: undefined },
    });
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout, /alter table public\.book add column title text;/);
  });
}
