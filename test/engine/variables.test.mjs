// A `;` in a variable's value: pgpatch inserts the value as is and does not split there, but the
// server runs what it is sent, so a value `1; create table x ...` runs both statements, as psql
// (which splits there itself) does. What the README says, on a real server and against psql.
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { compileScript } from 'pgpatch';
import { runCli } from '../helpers/cli.mjs';
import { createDatabase, mainServer, query } from '../helpers/database.mjs';
import { scriptDir } from './_scripts.mjs';

const run = promisify(execFile);
const PSQL = '/usr/lib/postgresql/15/bin/psql';
const VALUE = '1; create table injected (i int)';

async function freshDatabase(t) {
  const db = await createDatabase(mainServer().url, 'pgpatch_vars');
  t.teardown(() => db.drop());
  return db;
}
const hasInjected = async (url) => (await query(url, "select to_regclass('injected') is not null as ok")).rows[0].ok;

test('a ; in a -v value is not a split for pgpatch: one statement holds both', (t) => {
  const dir = scriptDir(t, { 'main.sql': 'select :x;\n' });
  const steps = compileScript(join(dir, 'main.sql'), { variables: { x: VALUE } }).steps;
  t.deepEqual(
    steps.map((s) => s.text),
    [`select ${VALUE};`],
  );
});

test('a ; in a -v value does end a statement on the server: both parts run, as with psql', async (t) => {
  const dir = scriptDir(t, { 'main.sql': 'select :x;\n' });
  const ours = await freshDatabase(t);
  const r = await runCli(['load', '--dsn', ours.url, '-v', `x=${VALUE}`, 'main.sql'], { cwd: dir });
  t.is(r.code, 0, r.stderr);
  t.true(await hasInjected(ours.url));
  if (!existsSync(PSQL)) return;
  const theirs = await freshDatabase(t);
  await run(PSQL, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-v', `x=${VALUE}`, '-f', 'main.sql', theirs.url], { cwd: dir, env: {} });
  t.true(await hasInjected(theirs.url));
});

test('the parts of such a statement are one transaction on the server: a failing second part undoes the first', async (t) => {
  const dir = scriptDir(t, { 'main.sql': 'create table :x;\n' });
  const db = await freshDatabase(t);
  const r = await runCli(['load', '--dsn', db.url, '-v', 'x=first (i int); create table first (i int)', 'main.sql'], { cwd: dir });
  t.is(r.code, 3);
  t.regex(r.stderr, /main\.sql:1:\d+: ERROR: {2}relation "first" already exists/);
  t.deepEqual((await query(db.url, "select to_regclass('first') as r")).rows, [{ r: null }]);
});

test('the README says what a ; in a variable does', (t) => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const bullet = readme.slice(readme.indexOf('- **Variables**'), readme.indexOf('- **Other backslash commands**'));
  t.notRegex(bullet, /here it does not\)/, 'the old claim that a ; in a value does not split');
  t.regex(bullet, /the server runs both/);
});
