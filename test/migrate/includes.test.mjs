// `\i` and `\ir` inside a patch. Under migrate a patch is the entry script, so `\i` resolves
// against the patch's own folder; in the psql trial the patch template describes (`\i
// schema/patches/NAME.sql` in psql started in the project folder), psql resolves `\i` against
// its working directory. `\ir` resolves against the patch file in both: the README recommends it.
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runCli } from '../helpers/cli.mjs';
import { createDatabase, mainServer, query, useDatabase } from '../helpers/database.mjs';
import { pgpatch, projectWithRecord, statuses } from '../helpers/project.mjs';

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
