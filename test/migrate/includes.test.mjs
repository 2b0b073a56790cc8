// `\i` and `\ir` inside a patch. Under migrate a patch is the entry script, so `\i` resolves
// against the patch's own folder; in the psql trial the patch template describes (`\i
// schema/patches/NAME.sql` in psql started in the project folder), psql resolves `\i` against
// its working directory. `\ir` resolves against the patch file in both: the README recommends it.
import test from 'ava';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runCli } from '../helpers/cli.mjs';
import { createDatabase, mainServer, query, useDatabase } from '../helpers/database.mjs';
import { pgpatch, projectWithRecord, statuses } from '../helpers/project.mjs';
import { eachServer } from '../helpers/servers.mjs';
import { trustProject } from './_trust.mjs';

useDatabase(test);
test.afterEach.always((t) => t.context.project?.cleanup());

const run = promisify(execFile);
const PSQL = '/usr/lib/postgresql/15/bin/psql';

function sharedFunction(p) {
  mkdirSync(join(p.dir, 'schema', 'functions'), { recursive: true });
  writeFileSync(
    join(p.dir, 'schema', 'functions', 'answer.sql'),
    'create or replace function answer() returns int language sql as $$ select 42 $$;\n',
  );
}

test('a patch using \\ir works under migrate run from another folder, and in the psql trial', async (t) => {
  const { p, url } = await projectWithRecord(t);
  sharedFunction(p);
  p.patch('2024-01-01_answer.sql', 'BEGIN;\n\\ir ../functions/answer.sql\nCOMMIT;\n');
  const elsewhere = mkdtempSync(join(tmpdir(), 'pgpatch-cwd-'));
  t.teardown(() => rmSync(elsewhere, { recursive: true, force: true }));
  const r = await runCli(['migrate', '--dsn', url, '--schema-dir', join(p.dir, 'schema')], { cwd: elsewhere });
  t.is(r.code, 0, r.stderr);
  t.deepEqual(await statuses(url), { '2024-01-01_answer': 'applied' });
  t.deepEqual((await query(url, 'select answer()')).rows, [{ answer: 42 }]);
  if (!existsSync(PSQL)) return;
  // The trial: psql started in the project folder, `\i schema/patches/NAME.sql` as the template says.
  const trial = await createDatabase(mainServer().url, 'pgpatch_trial');
  t.teardown(() => trial.drop());
  await run(PSQL, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', '\\i schema/patches/2024-01-01_answer.sql', trial.url], {
    cwd: p.dir,
    env: {},
  });
  t.deepEqual((await query(trial.url, 'select answer()')).rows, [{ answer: 42 }]);
});

test("\\i in a patch resolves against the patch's folder under migrate (not the working directory)", async (t) => {
  const { p, url } = await projectWithRecord(t);
  // Not a .sql file: that would be a patch of its own.
  p.patch('2024/2024-01-01_here.sql', '\\i beside.inc\n');
  p.patch('2024/beside.inc', "insert into log (name) values ('beside the patch');\n");
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 0, r.stderr);
  t.deepEqual((await query(url, 'select name from log')).rows, [{ name: 'beside the patch' }]);
});

test('the README says how \\i and \\ir resolve in a patch and recommends \\ir', (t) => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  t.regex(readme, /Includes in a patch/);
  t.regex(readme, /use `\\ir`/);
});

/** `2024-01-01_answer` applied, including ../functions/answer.sql with \ir. */
async function appliedWithInclude(t, server) {
  const { p, url } = await trustProject(t, server);
  sharedFunction(p);
  p.patch('2024-01-01_answer.sql', '\\ir ../functions/answer.sql\n');
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 0, r.stderr);
  const include = join(p.dir, 'schema', 'functions', 'answer.sql');
  return { p, url, include };
}

eachServer(
  test,
  'an include edited after its patch was applied: showmigrations says edited, migrate warns, --strict refuses, --accept-checksum records it',
  async (t, server) => {
    const { p, url, include } = await appliedWithInclude(t, server);
    const before = await pgpatch(p, url, 'showmigrations');
    t.regex(before.stdout, /\[X\] 2024-01-01_answer/);
    writeFileSync(include, 'create or replace function answer() returns int language sql as $$ select 43 $$;\n');
    const show = await pgpatch(p, url, 'showmigrations');
    t.regex(show.stdout, /\[E\] 2024-01-01_answer .*file edited since it was applied/);
    const strict = await pgpatch(p, url, 'migrate', ['--strict']);
    t.is(strict.code, 2, strict.stderr);
    t.regex(strict.stderr, /patches edited after they were applied: 2024-01-01_answer/);
    const warned = await pgpatch(p, url, 'migrate');
    t.is(warned.code, 0, warned.stderr);
    t.regex(warned.stderr, /warning: patch 2024-01-01_answer was edited after it was applied/);
    const accepted = await pgpatch(p, url, 'migrate', ['--accept-checksum', '2024-01-01_answer']);
    t.is(accepted.code, 0, accepted.stderr);
    const after = await pgpatch(p, url, 'showmigrations');
    t.regex(after.stdout, /\[X\] 2024-01-01_answer/);
    // The record's checksum is not the patch file's alone: it covers what ran.
    const [row] = (await query(url, "select checksum from schema_patch where name = '2024-01-01_answer'")).rows;
    t.not(
      row.checksum,
      createHash('sha256')
        .update(readFileSync(join(p.patchesDir, '2024-01-01_answer.sql')))
        .digest('hex'),
    );
  },
);

eachServer(
  test,
  'a record written before includes were covered (the checksum of the patch file alone) does not show the patch as edited',
  async (t, server) => {
    const { p, url } = await appliedWithInclude(t, server);
    const fileOnly = createHash('sha256')
      .update(readFileSync(join(p.patchesDir, '2024-01-01_answer.sql')))
      .digest('hex');
    await query(url, "update schema_patch set checksum = $1 where name = '2024-01-01_answer'", [fileOnly]);
    const show = await pgpatch(p, url, 'showmigrations');
    t.regex(show.stdout, /\[X\] 2024-01-01_answer/);
    const strict = await pgpatch(p, url, 'migrate', ['--strict']);
    t.is(strict.code, 0, strict.stderr);
    // The patch file itself is still checked.
    p.patch('2024-01-01_answer.sql', '\\ir ../functions/answer.sql\nselect 1;\n');
    t.regex((await pgpatch(p, url, 'showmigrations')).stdout, /\[E\] 2024-01-01_answer/);
  },
);

eachServer(test, 'an include that is gone since its patch was applied shows the patch as edited', async (t, server) => {
  const { p, url, include } = await appliedWithInclude(t, server);
  rmSync(include);
  const show = await pgpatch(p, url, 'showmigrations');
  t.is(show.code, 0, show.stderr);
  t.regex(show.stdout, /\[E\] 2024-01-01_answer/);
});

eachServer(test, 'a Latin-1 byte in a -- comment of an include is refused before anything runs', async (t, server) => {
  const { p, url } = await trustProject(t, server);
  p.patch('2024-01-01_first.sql', "insert into log (name) values ('first');\n");
  p.patch('2024-01-02_with_include.sql', '\\ir lib/latin1.sql\n');
  p.patch('lib/latin1.sql', Buffer.concat([Buffer.from('-- caf'), Buffer.from([0xe9]), Buffer.from('\nselect 1;\n')]));
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, /not valid UTF-8 \(line 1, byte 7\)/);
  t.deepEqual(await statuses(url), {});
});
