// The embedded server when pgpatch runs as root from a private folder (a CI container, a clone
// under root's 0700 home, `mktemp -d`): PostgreSQL refuses root, so it runs as the `postgres`
// OS user, which cannot reach the folder. pgpatch copies the binaries and keeps the data where
// that user can reach them (PGPATCH_SERVER_DIR; here a folder of the test's), says where, and
// never changes the permissions of the user's folders.
import test from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, cpSync, lstatSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI } from '../helpers/cli.mjs';
import { createDatabase, mainServer, query } from '../helpers/database.mjs';
import { plainProject } from '../helpers/gitdir.mjs';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const asRoot = process.getuid?.() === 0;
const rootTest = asRoot ? test : (title) => test.skip(`${title}: needs root (the server then runs as another OS user)`, () => undefined);

const mode = (path) => statSync(path).mode & 0o777;

/** A folder only its owner may enter, as `mktemp -d` makes them. */
function privateFolder(t) {
  const dir = mkdtempSync(join(tmpdir(), 'pgpatch-private-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.is(mode(dir), 0o700);
  return dir;
}

/** Where the server's OS user may go (the test's own stand-in for /var/lib/pgpatch). */
function serverFolder(t) {
  const dir = mkdtempSync(join(tmpdir(), 'pgpatch-server-dir-'));
  chmodSync(dir, 0o755);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs `cli` (default: this work tree's) in `cwd`; the project's embedded servers are stopped after the test. */
function cliIn(t, cwd, env, cli = CLI) {
  const run = (args) =>
    new Promise((resolve, reject) => {
      const out = { stdout: '', stderr: '' };
      const child = spawn(process.execPath, [cli, ...args], { cwd, env: { ...process.env, DATABASE_URL: '', ...env } });
      child.stdout.on('data', (d) => (out.stdout += d));
      child.stderr.on('data', (d) => (out.stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, ...out }));
    });
  t.teardown(() => run(['embedded', 'stop']));
  return run;
}

rootTest(
  "the README's first command, from a clone in a 0700 folder: the demo loads; binaries and data go where the server can reach them, said so, once",
  async (t) => {
    const home = privateFolder(t);
    const servers = serverFolder(t);
    const clone = join(home, 'pgpatch');
    // `npm ci && npm run build`, without downloading or compiling again: the clone gets this work
    // tree's node_modules (hard links: the binaries stay under the private folder) and dist/.
    execFileSync('git', ['clone', '-q', REPO, clone]);
    execFileSync('cp', ['-al', join(REPO, 'node_modules'), join(clone, 'node_modules')]);
    cpSync(join(REPO, 'dist'), join(clone, 'dist'), { recursive: true });
    const cloneMode = mode(clone);
    const cli = cliIn(t, clone, { PGPATCH_SERVER_DIR: servers }, join(clone, 'dist', 'cli.js'));

    // Two runs at once on a fresh project: one copy of the binaries, one cluster, the same server.
    const [a, b] = await Promise.all([cli(['embedded', 'url']), cli(['embedded', 'url'])]);
    t.is(a.code, 0, a.stderr);
    t.is(b.code, 0, b.stderr);
    t.is(a.stdout, b.stdout);
    t.regex(a.stderr + b.stderr, new RegExp(`copied the PostgreSQL binaries to ${servers}/postgres/`));
    t.is(readdirSync(join(servers, 'postgres')).length, 1, 'one copy of the binaries');
    t.is(readdirSync(join(servers, 'clusters')).length, 1, 'one cluster');

    const load = await cli(['load', '--embedded', '--fresh', 'fixtures/demo/database.sql']);
    t.is(load.code, 0, load.stderr);
    t.notRegex(load.stderr, /copied/, 'the copy is made once');
    const link = join(clone, '.pgpatch', 'data');
    t.true(lstatSync(link).isSymbolicLink());
    t.true(readlinkSync(link).startsWith(join(servers, 'clusters')), readlinkSync(link));
    const books = await query(a.stdout.trim().replace(/\/postgres$/, '/pgpatch'), 'select count(*)::int as n from myapp.myapp_book');
    t.is(books.rows[0].n, 0);
    t.is(mode(home), 0o700, "the user's folder keeps its permissions");
    t.is(mode(clone), cloneMode);
  },
);

rootTest('check --dsn and try from a 0700 folder, with the embedded scratch server (the default)', async (t) => {
  const servers = serverFolder(t);
  const root = plainProject(t, {
    'schema/database.sql': 'create table book (id bigint primary key, title text not null, isbn text);\n',
    'schema/patches/2026-01-01_isbn.sql': 'alter table book add column isbn text;\n',
  });
  t.is(mode(root), 0o700);
  const db = await createDatabase(mainServer().url, 'pgpatch_private');
  t.teardown(() => db.drop());
  await query(db.url, 'create table book (id bigint primary key, title text not null)');
  const cli = cliIn(t, root, { PGPATCH_SERVER_DIR: servers });

  const check = await cli(['check', '--dsn', db.url]);
  t.is(check.code, 1, check.stderr + check.stdout);
  t.regex(check.stdout, /^- table public\.book, column isbn: in the schema files, missing in the live database$/m);
  t.regex(check.stderr, new RegExp(`data in ${servers}/clusters/`));

  const tried = await cli(['try', '2026-01-01', '--dsn', db.url]);
  t.is(tried.code, 0, tried.stderr + tried.stdout);
  t.regex(tried.stdout, /^ok: the database now matches the schema files$/m);
  t.is(mode(root), 0o700);
});
