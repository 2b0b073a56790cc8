// The README's Library example, extracted from README.md and run as written by a project that
// installed pgpatch (node_modules/pgpatch), against a real database.
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createDatabase, mainServer, query } from '../helpers/database.mjs';
import { plainProject } from '../helpers/gitdir.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function librarySnippet() {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Library\n'), readme.indexOf('\n## ', readme.indexOf('\n## Library\n') + 1));
  const block = /```js\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error("no ```js block in the README's Library section");
  return block[1];
}

test("the README's Library example runs as written in a project that installed pgpatch", async (t) => {
  const dir = plainProject(t, {
    'schema/database.sql': 'create table item (id int primary key);\n',
    'schema/patches/2026-01-01_first.sql': 'insert into item values (1);\n',
  });
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(root, join(dir, 'node_modules', 'pgpatch'));
  writeFileSync(join(dir, 'deploy.js'), `${librarySnippet()}\ndeploy(process.argv[2]).then((n) => console.log('pending', n));\n`);
  const db = await createDatabase(mainServer().url, 'pgpatch_readme');
  t.teardown(() => db.drop());
  const clean = { ...process.env };
  delete clean.NODE_EXTRA_CA_CERTS;
  const run = await promisify(execFile)(process.execPath, ['deploy.js', db.url], { cwd: dir, env: clean });
  t.regex(run.stdout, /^pending 0$/m);
  t.deepEqual((await query(db.url, 'select id from item')).rows, [], 'the first run builds from the schema files; the patch is assumed');
  writeFileSync(join(dir, 'schema/patches/2026-02-01_second.sql'), 'insert into item values (2);\n');
  const again = await promisify(execFile)(process.execPath, ['deploy.js', db.url], { cwd: dir, env: clean });
  t.regex(again.stdout, /2026-02-01_second: applied/);
  t.deepEqual((await query(db.url, 'select id from item')).rows, [{ id: 2 }]);
});

test('deep imports are blocked: only the package entry is public', async (t) => {
  const dir = plainProject(t, { 'x.js': "require('pgpatch/dist/engine/db.js');\n" });
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(root, join(dir, 'node_modules', 'pgpatch'));
  const e = await t.throwsAsync(promisify(execFile)(process.execPath, ['x.js'], { cwd: dir }));
  t.regex(e.stderr, /ERR_PACKAGE_PATH_NOT_EXPORTED/);
});
