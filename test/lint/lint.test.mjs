// lint: squawk over patches as they will run. Findings come back at the file and line they were
// written at, through includes; the transaction mode pgpatch uses changes what squawk reports.
import test from 'ava';
import { join } from 'node:path';
import { findPatchesForTest } from './_patches.mjs';
import { lintPatches } from 'pgpatch';
import { runCli } from '../helpers/cli.mjs';
import { useDatabase } from '../helpers/database.mjs';
import { pgpatch } from '../helpers/project.mjs';
import { plainProject, writeFiles } from '../helpers/gitdir.mjs';

// Timeouts are squawk's advice for every patch; left on, they would add two findings to each
// hazard below and hide what each test is about.
const QUIET = 'excluded_rules = ["require-statement-timeout", "require-lock-timeout", "prefer-robust-stmts"]\n';

// One statement per hazard class of squawk's main rules, each on a known line of an include.
const HAZARDS = [
  ['changing-column-type', 'alter table book alter column pages type bigint;'],
  ['require-concurrent-index-creation', 'create index book_title on book (title);'],
  ['adding-required-field', 'alter table book add column isbn text not null;'],
  ['adding-not-nullable-field', 'alter table book alter column title set not null;'],
  ['constraint-missing-not-valid', 'alter table book add constraint pages_ck check (pages > 0);'],
  ['adding-foreign-key-constraint', 'alter table book add constraint author_fk foreign key (author_id) references author (id);'],
  ['disallowed-unique-constraint', 'alter table book add constraint title_uq unique (title);'],
  ['adding-field-with-default', 'alter table book add column added timestamptz default clock_timestamp();'],
  ['ban-drop-column', 'alter table book drop column pages;'],
  ['renaming-column', 'alter table book rename column title to name;'],
  ['renaming-table', 'alter table author rename to writer;'],
  ['ban-drop-table', 'drop table old_book;'],
];

function project(t, files) {
  return plainProject(t, { '.squawk.toml': QUIET, 'schema/database.sql': '', ...files });
}

async function lint(root, args = []) {
  const r = await runCli(['lint', '--json', ...args], { cwd: root });
  return { ...r, json: r.stdout ? JSON.parse(r.stdout) : undefined };
}

test('each hazard class through an include is reported at its own file and line, with the \\i line that led there', async (t) => {
  const body = HAZARDS.map(([, sql]) => `-- a comment line\n${sql}`).join('\n') + '\n';
  const root = project(t, {
    'schema/patches/2026-01-01_hazards.sql': 'select 1;\n\\i ../lib/hazards.sql\n',
    'schema/lib/hazards.sql': body,
  });
  const r = await lint(root);
  t.is(r.code, 1, r.stderr);
  const findings = r.json.patches[0].findings;
  HAZARDS.forEach(([rule], i) => {
    const f = findings.find((x) => x.rule === rule);
    t.truthy(f, `${rule} is reported`);
    t.is(f?.location.file, join(root, 'schema/lib/hazards.sql'), rule);
    t.is(f?.location.line, 2 * i + 2, rule);
    t.deepEqual(
      f?.trace.map((x) => [x.file, x.line]),
      [[join(root, 'schema/patches/2026-01-01_hazards.sql'), 2]],
      rule,
    );
  });
  const text = await runCli(['lint'], { cwd: root });
  t.regex(text.stdout, /^ {2}schema\/lib\/hazards\.sql:2:\d+: error: changing-column-type: /m);
  t.regex(text.stdout, /^ {4}included from schema\/patches\/2026-01-01_hazards\.sql:2$/m);
});

test('the transaction mode changes the findings: a patch pgpatch wraps is linted as in a transaction, a no-transaction one as outside', async (t) => {
  const sql = 'alter table book add constraint pages_ck check (pages > 0) not valid;\n';
  const root = plainProject(t, {
    'schema/database.sql': '',
    'schema/patches/2026-01-01_wrapped.sql': sql,
    'schema/patches/2026-01-02_bare.sql': `-- pgpatch: no-transaction\n${sql}`,
    'schema/patches/2026-01-03_own.sql': `begin;\n${sql}commit;\n`,
  });
  const r = await lint(root, ['--exclude', 'require-statement-timeout,require-lock-timeout']);
  const [wrapped, bare, own] = r.json.patches;
  t.is(wrapped.mode, 'wrapped');
  t.is(bare.mode, 'none');
  t.is(own.mode, 'own');
  // squawk's "Missing transaction, the migration can't be rerun" is only true outside one.
  const missingTx = (p) => p.findings.filter((f) => f.rule === 'prefer-robust-stmts' && /transaction/i.test(f.message));
  t.is(missingTx(wrapped).length, 0);
  t.is(missingTx(own).length, 0);
  t.is(missingTx(bare).length, 1);
  t.is(missingTx(bare)[0].location.line, 2);
});

test('a CONCURRENTLY index build runs outside a transaction and is linted that way: no in-transaction finding', async (t) => {
  const root = project(t, {
    'schema/patches/2026-01-01_index.sql': '\\i ../lib/index.sql\n',
    'schema/lib/index.sql': '\n\ncreate index concurrently if not exists book_title on book (title);\n',
  });
  const r = await lint(root, ['--exclude', 'require-concurrent-index-creation']);
  const [p] = r.json.patches;
  t.is(p.mode, 'none');
  t.deepEqual(p.findings, []);
  t.is(r.code, 0, r.stdout);
});

test("squawk's ignore comments: -- squawk-ignore above a statement, -- squawk-ignore-file for the statements of its own file only", async (t) => {
  const root = project(t, {
    'schema/patches/2026-01-01_ignores.sql': [
      '\\i ../lib/ignored.sql',
      '-- squawk-ignore changing-column-type',
      '-- why: book has 12 rows',
      'alter table book alter column pages type bigint;',
      'alter table author alter column born type bigint;',
      '',
    ].join('\n'),
    'schema/lib/ignored.sql':
      '-- squawk-ignore-file ban-drop-column\nalter table book drop column notes;\nalter table book rename column title to name;\n',
  });
  const r = await lint(root, ['--verbose']);
  const rules = r.json.patches[0].findings.map((f) => [f.rule, f.location.file.endsWith('ignored.sql') ? 'lib' : 'patch', f.location.line]);
  t.deepEqual(rules.sort(), [
    ['changing-column-type', 'patch', 5],
    ['renaming-column', 'lib', 3],
  ]);
  t.deepEqual(
    r.json.patches[0].ignored.map((i) => [i.rule, i.why, i.location.line]),
    [['ban-drop-column', 'squawk-ignore-file', 2]],
  );
});

test('statements on a table the same patch created are not hazards; the same statements on an existing table are', async (t) => {
  const root = project(t, {
    'schema/patches/2026-01-01_new_table.sql': [
      'create table shelf (id bigint generated always as identity primary key, label text);',
      'alter table public.shelf add column code text not null;',
      'alter table shelf alter column label type varchar(100);',
      'alter table book add column code text not null;',
      '',
    ].join('\n'),
  });
  const r = await lint(root);
  const [p] = r.json.patches;
  t.deepEqual(
    p.findings.map((f) => [f.rule, f.location.line]),
    [['adding-required-field', 4]],
  );
  t.deepEqual(
    p.ignored.map((i) => [i.rule, i.why, i.location.line]).sort(),
    [
      ['adding-required-field', 'table created by this patch', 2],
      ['changing-column-type', 'table created by this patch', 3],
      ['prefer-text-field', 'table created by this patch', 3],
    ].sort(),
  );
});

test('which rules are on: .squawk.toml of the project and --exclude; exit 0 when nothing is left, 1 on an error-level finding', async (t) => {
  const root = plainProject(t, {
    'schema/database.sql': '',
    'schema/patches/2026-01-01_a.sql': 'alter table book alter column pages type bigint;\n',
  });
  const all = await lint(root);
  t.is(all.code, 1);
  t.true(all.json.patches[0].findings.some((f) => f.rule === 'require-lock-timeout'));
  const off = await lint(root, [
    '--exclude',
    'changing-column-type',
    '--exclude',
    'require-lock-timeout,require-statement-timeout,prefer-robust-stmts',
  ]);
  t.is(off.code, 0, off.stdout);
  t.deepEqual(off.json.patches[0].findings, []);
});

test('a patch migrate would refuse is reported, not linted, and fails the lint', async (t) => {
  const root = project(t, { 'schema/patches/2026-01-01_open.sql': 'begin;\nselect 1;\n' });
  const r = await lint(root);
  t.is(r.code, 1);
  t.is(r.json.patches[0].mode, 'refused');
  t.regex(r.json.patches[0].reason, /never commits/);
});

test("text PostgreSQL's parser rejects is an error, once, at the file and line where the parser stopped", async (t) => {
  const root = project(t, {
    'schema/patches/2026-01-01_typo.sql': '\\i ../fn/setup.sql\nalter table book add column isbn text;\n',
    'schema/fn/setup.sql': 'select 1;\n\nselec dblink(1);\n',
    'schema/patches/2026-01-02_fine.sql': 'alter table book add column pages text;\n',
  });
  const r = await lint(root, ['--all']);
  t.is(r.code, 1, r.stdout);
  const [typo, fine] = r.json.patches;
  t.deepEqual(
    typo.findings.map((f) => [f.rule, f.level, f.location.file.endsWith('fn/setup.sql'), f.location.line, f.location.column]),
    [['syntax-error', 'error', true, 3, 1]],
  );
  t.regex(typo.findings[0].message, /PostgreSQL's parser rejects this statement: syntax error at or near "selec"/);
  t.deepEqual(fine.findings, []);
  const text = await runCli(['lint', '--all'], { cwd: root });
  t.is(text.code, 1);
  t.regex(text.stdout, /fn\/setup\.sql:3:1: .*syntax error at or near "selec"/);
});

test('the library: lintPatches on patch files', async (t) => {
  const root = project(t, { 'schema/patches/2026-01-01_a.sql': 'alter table book drop column pages;\n' });
  const result = await lintPatches({
    patches: findPatchesForTest(join(root, 'schema/patches')),
    exclude: ['require-lock-timeout', 'require-statement-timeout', 'prefer-robust-stmts'],
  });
  t.deepEqual(
    result.patches[0].findings.map((f) => f.rule),
    ['ban-drop-column'],
  );
  t.is(result.errors, 1);
});

useDatabase(test);

test('by default, only the pending patches of the target; without a target, every patch', async (t) => {
  const root = project(t, {
    'schema/patches/2026-01-01_applied.sql': 'alter table book alter column pages type bigint;\n',
  });
  // On an empty database the first migrate builds the schema files and records the patches there.
  const m = await pgpatch({ dir: root }, t.context.db.url, 'migrate', ['--no-input']);
  t.is(m.code, 0, m.stderr);
  writeFiles(root, { 'schema/patches/2026-01-02_pending.sql': 'alter table book drop column pages;\n' });
  const r = await runCli(['lint', '--json', '--dsn', t.context.db.url], { cwd: root });
  t.deepEqual(
    JSON.parse(r.stdout).patches.map((p) => p.name),
    ['2026-01-02_pending'],
  );
  const none = await lint(root);
  t.deepEqual(
    none.json.patches.map((p) => p.name),
    ['2026-01-01_applied', '2026-01-02_pending'],
  );
  t.regex(none.stderr, /no target database given: linting every patch/);
  const named = await lint(root, ['2026-01-01', 'schema/patches/2026-01-02_pending.sql']);
  t.deepEqual(
    named.json.patches.map((p) => p.name),
    ['2026-01-01_applied', '2026-01-02_pending'],
  );
});

test('migrate --plan shows the lint findings of the patches it would run, and changes nothing', async (t) => {
  const root = project(t, { 'schema/patches/2026-01-01_applied.sql': 'select 1;\n' });
  const m = await pgpatch({ dir: root }, t.context.db.url, 'migrate', ['--no-input']);
  t.is(m.code, 0, m.stderr);
  writeFiles(root, {
    'schema/database.sql': 'create table book (id bigint primary key, pages int);\n',
    'schema/patches/2026-01-02_wide.sql': '\\i ../lib/wide.sql\n',
    'schema/lib/wide.sql': '\nalter table book alter column pages type bigint;\n',
  });
  const plan = await pgpatch({ dir: root }, t.context.db.url, 'migrate', ['--plan']);
  t.is(plan.code, 0, plan.stderr);
  t.regex(plan.stdout, /schema\/lib\/wide\.sql:2:\d+: error: changing-column-type/);
  const json = await pgpatch({ dir: root }, t.context.db.url, 'migrate', ['--plan', '--json']);
  t.deepEqual(
    JSON.parse(json.stdout).lint.patches[0].findings.map((f) => f.rule),
    ['changing-column-type'],
  );
  const after = await runCli(['lint', '--json', '--dsn', t.context.db.url], { cwd: root });
  t.deepEqual(
    JSON.parse(after.stdout).patches.map((p) => p.name),
    ['2026-01-02_wide'],
  );
});
