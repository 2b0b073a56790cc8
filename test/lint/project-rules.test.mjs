// lint knows what migrate will do, and the .squawk.toml that init and adopt write fits a pgpatch
// project: migrate's statement lock timeout satisfies squawk's timeout rules; the column-type
// preferences that flag what the schema files decided (varchar(n) for Django's CharField) are
// left out; real lock hazards stay.
import test from 'ava';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.mjs';
import { commitAll, gitProject, plainProject } from '../helpers/gitdir.mjs';
import { createDatabase, mainServer, query } from '../helpers/database.mjs';
import { eachServer } from '../helpers/servers.mjs';

const ENV = { NODE_EXTRA_CA_CERTS: undefined, PGPATCH_STATEMENT_LOCK_TIMEOUT: undefined, PGPATCH_SCRATCH_URL: undefined };
const cli = (root, args, env = {}) => runCli(args, { cwd: root, env: { ...ENV, ...env }, timeoutMs: 180000 });
const rules = (r) => JSON.parse(r.stdout).patches.flatMap((p) => p.findings.map((f) => f.rule));

test("migrate's statement lock timeout satisfies squawk's timeout rules: lint reads it where migrate does", async (t) => {
  const root = plainProject(t, {
    'schema/database.sql': 'create table book (id bigint primary key);\n',
    'schema/patches/2026-01-01_isbn.sql': 'alter table book add column isbn text;\n',
    'schema/patches/2026-01-02_own.sql': 'begin;\nalter table book add column pages integer;\ncommit;\n',
  });
  const none = await cli(root, ['lint', '--all', '--json']);
  t.is(none.code, 1);
  t.deepEqual([...new Set(rules(none))].sort(), ['prefer-bigint-over-int', 'require-lock-timeout', 'require-statement-timeout']);
  const help = JSON.parse(none.stdout).patches[0].findings.find((f) => f.rule === 'require-lock-timeout').help;
  t.regex(help, /PGPATCH_STATEMENT_LOCK_TIMEOUT/);
  const text = await cli(root, ['lint', '--all']);
  t.regex(text.stdout, /no statement lock timeout for migrate/);
  for (const env of [{ PGPATCH_STATEMENT_LOCK_TIMEOUT: '5s' }, {}]) {
    const args = env.PGPATCH_STATEMENT_LOCK_TIMEOUT ? [] : ['--statement-lock-timeout', '5s'];
    const r = await cli(root, ['lint', '--all', '--json', '--exclude', 'prefer-bigint-over-int', ...args], env);
    t.is(r.code, 0, r.stdout);
    t.deepEqual(rules(r), []);
    t.is(JSON.parse(r.stdout).statementLockTimeoutMs, 5000);
  }
  const counted = await cli(root, ['lint', '--all', '--exclude', 'prefer-bigint-over-int'], { PGPATCH_STATEMENT_LOCK_TIMEOUT: '5s' });
  t.regex(counted.stdout, /migrate's statement lock timeout \(5000 ms\) counted/);
  // A real hazard is still one.
  writeFileSync(join(root, 'schema/patches/2026-01-03_index.sql'), 'create index book_isbn on book (isbn);\n');
  const hazard = await cli(root, ['lint', '2026-01-03', '--json'], { PGPATCH_STATEMENT_LOCK_TIMEOUT: '5s' });
  t.deepEqual(rules(hazard), ['require-concurrent-index-creation']);
});

eachServer(test, 'migrate --plan lints with the statement lock timeout the run would set', async (t, server) => {
  const db = await createDatabase(server.url, 'pgpatch_lint');
  t.teardown(() => db.drop());
  const root = plainProject(t, { 'schema/database.sql': 'create table book (id bigint primary key);\n', 'schema/patches/.gitkeep': '' });
  const first = await cli(root, ['migrate', '--dsn', db.url]);
  t.is(first.code, 0, first.stderr);
  writeFileSync(join(root, 'schema/patches/2026-01-01_isbn.sql'), 'alter table book add column isbn text;\n');
  const without = await cli(root, ['migrate', '--dsn', db.url, '--plan', '--json']);
  t.deepEqual(
    JSON.parse(without.stdout)
      .lint.patches[0].findings.map((f) => f.rule)
      .sort(),
    ['require-lock-timeout', 'require-statement-timeout'],
  );
  const withTimeout = await cli(root, ['migrate', '--dsn', db.url, '--plan', '--json', '--statement-lock-timeout', '3s']);
  t.deepEqual(JSON.parse(withTimeout.stdout).lint.patches[0].findings, []);
  const fromEnv = await cli(root, ['migrate', '--dsn', db.url, '--plan', '--json'], { PGPATCH_STATEMENT_LOCK_TIMEOUT: '3s' });
  t.deepEqual(JSON.parse(fromEnv.stdout).lint.patches[0].findings, []);
});

// squawk-cli stays at 2.61: 2.66 panics on a malformed WITH ("the parser seems stuck"), which
// stops the whole lint, and 2.64/2.65 (which fix ban-char-field on character varying) have no
// binaries for other platforms on the registry this was made on (npm ci then refuses the lockfile).
test('character varying is not a char field (squawk 2.61 says it is); char(n) still is', async (t) => {
  const root = plainProject(t, {
    'schema/database.sql': '',
    'schema/patches/2026-01-01_varchar.sql':
      'alter table book add column isbn character varying(20), add column code char varying(3);\nalter table book add column flag character(1);\n',
  });
  const r = await cli(root, ['lint', '--all', '--json', '--exclude', 'prefer-text-field'], { PGPATCH_STATEMENT_LOCK_TIMEOUT: '5s' });
  const patch = JSON.parse(r.stdout).patches[0];
  t.deepEqual(
    patch.findings.map((f) => [f.rule, f.location.line]),
    [['ban-char-field', 2]],
  );
  t.deepEqual(
    patch.ignored.map((f) => [f.rule, f.location.line, f.why]),
    [
      ['ban-char-field', 1, 'character varying is not char(n)'],
      ['ban-char-field', 1, 'character varying is not char(n)'],
    ],
  );
});

test('a malformed WITH is a syntax error at its line, not a squawk crash that stops the lint', async (t) => {
  const root = plainProject(t, {
    'schema/database.sql': '',
    'schema/patches/2026-01-01_typo.sql': 'alter table book add column isbn text;\nwith x as (select 1);\n',
  });
  const r = await cli(root, ['lint', '--all', '--json'], { PGPATCH_STATEMENT_LOCK_TIMEOUT: '5s' });
  t.is(r.code, 1, r.stderr);
  t.deepEqual(
    JSON.parse(r.stdout).patches[0].findings.map((f) => [f.rule, f.level, f.location.line]),
    [['syntax-error', 'error', 2]],
  );
});

eachServer(
  test,
  "init's .squawk.toml: a draft makemigrations writes lints clean, character varying columns included",
  async (t, server) => {
    const root = gitProject(t);
    t.is((await cli(root, ['init', '--app', 'shop'])).code, 0);
    t.true(existsSync(join(root, '.squawk.toml')));
    writeFileSync(
      join(root, 'schema/shop.sql'),
      'create table shop_book (id integer generated by default as identity primary key, title character varying(200) not null);\n',
    );
    commitAll(root, 'init');
    writeFileSync(
      join(root, 'schema/shop.sql'),
      'create table shop_book (id integer generated by default as identity primary key, title character varying(200) not null,\n' +
        '  subtitle character varying(200), added timestamp);\n' +
        'create table shop_shelf (id serial primary key, name character varying(50) not null, rank smallint);\n',
    );
    const made = await cli(root, ['makemigrations', 'subtitle and shelves', '--scratch-url', server.url]);
    t.is(made.code, 0, made.stderr);
    t.regex(made.stderr, /draft: \d+ changes/);
    const name = made.stdout.trim();
    t.regex(readFileSync(join(root, name), 'utf8'), /add column subtitle character varying\(200\)/);
    const r = await cli(root, ['lint', name, '--json'], { PGPATCH_STATEMENT_LOCK_TIMEOUT: '5s' });
    t.is(r.code, 0, r.stdout);
    t.deepEqual(rules(r), []);
    // Without the project's file, squawk's type preferences flag what the schema files decided
    // (squawk 2.61 takes character varying for character: its ban-char-field is left out by lint,
    // and it says nothing of prefer-text-field there).
    rmSync(join(root, '.squawk.toml'));
    const bare = await cli(root, ['lint', name, '--json', '--verbose'], { PGPATCH_STATEMENT_LOCK_TIMEOUT: '5s' });
    t.deepEqual([...new Set(rules(bare))].sort(), ['prefer-bigint-over-int', 'prefer-bigint-over-smallint', 'prefer-timestamp-tz']);
    t.true(JSON.parse(bare.stdout).patches[0].ignored.some((i) => i.why === 'character varying is not char(n)'));
  },
);

test('adopt writes the .squawk.toml a project lacks, never over one it has', async (t) => {
  const db = await createDatabase(mainServer().url, 'pgpatch_lint');
  t.teardown(() => db.drop());
  await query(db.url, 'create table shop_book (id serial primary key, title varchar(100) not null);');
  const root = plainProject(t);
  const dry = await cli(root, ['adopt', '--dsn', db.url, '--dry-run']);
  t.regex(dry.stdout, /would write \.squawk\.toml: lint's rules/);
  t.false(existsSync(join(root, '.squawk.toml')));
  const r = await cli(root, ['adopt', '--dsn', db.url, '--no-record']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /wrote \.squawk\.toml/);
  t.regex(readFileSync(join(root, '.squawk.toml'), 'utf8'), /"prefer-text-field"/);
  writeFileSync(join(root, '.squawk.toml'), 'excluded_rules = []\n');
  const again = await cli(root, ['adopt', '--dsn', db.url, '--no-record', '--force']);
  t.is(again.code, 0, again.stderr);
  t.notRegex(again.stdout, /squawk/);
  t.is(readFileSync(join(root, '.squawk.toml'), 'utf8'), 'excluded_rules = []\n');
});
