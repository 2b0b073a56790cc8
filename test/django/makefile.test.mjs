// The Makefile of the README's Django section, as written there: `make migrate`, `make devdb`
// and `make testdb` run without a terminal (stdin not a TTY, nothing typed) and bring the
// databases current, twice in a row (the second time with nothing to do).
import test from 'ava';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI } from '../helpers/cli.mjs';
import { adminQuery, cleanEnv, freshDatabase } from '../helpers/database.mjs';
import { plainProject } from '../helpers/gitdir.mjs';
import { eachServer } from '../helpers/servers.mjs';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));

/** The ```make block of the README's "For Django teams" section. */
function readmeMakefile() {
  const text = readFileSync(README, 'utf8');
  const section = text.slice(text.indexOf('## For Django teams'));
  return /```make\n([\s\S]*?)```/.exec(section)[1];
}

function make(dir, targets, env) {
  return new Promise((resolve, reject) => {
    const child = spawn('make', ['--no-print-directory', ...targets], {
      cwd: dir,
      env: { ...cleanEnv(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

eachServer(test, "the README's Makefile: make migrate, devdb and testdb work without a terminal", async (t, server) => {
  const dir = plainProject(t, {
    'schema/database.sql': 'create table book (id int primary key, title text not null);\n',
    'schema/patches/2030-01-01_first.sql': 'select 1;\n',
  });
  writeFileSync(join(dir, 'Makefile'), readmeMakefile());
  const deployed = await freshDatabase(t, server.url, 'mk_deploy');
  const dev = await freshDatabase(t, server.url, 'mk_dev');
  const template = `mk_${randomBytes(4).toString('hex')}_template`;
  t.teardown(async () => {
    await adminQuery(server.url, `alter database "${template}" is_template false`).catch(() => undefined);
    await adminQuery(server.url, `drop database if exists "${template}" with (force)`).catch(() => undefined);
  });
  const env = { PGPATCH: `${process.execPath} ${CLI}`, DATABASE_URL: deployed.url, DEV_DSN: dev.url, TEMPLATE: template };
  for (const round of [1, 2]) {
    const r = await make(dir, ['migrate', 'devdb', 'testdb'], env);
    t.is(r.code, 0, `round ${round}:\n${r.out}`);
  }
  for (const url of [deployed.url, dev.url])
    t.deepEqual((await adminQuery(url, 'select name from public.schema_patch')).rows, [{ name: '2030-01-01_first' }]);
  const { rows } = await adminQuery(server.url, 'select datistemplate from pg_database where datname = $1', [template]);
  t.deepEqual(rows, [{ datistemplate: true }]);
});
