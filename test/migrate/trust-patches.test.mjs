// Only patches run, and each at most once: a byte-identical copy of a patch under a new name is
// never run without being asked for by name; a `.sql` file is a patch only when it is named by a
// real date and sits in the patches folder or its YYYY/ and YYYY/MM/ archive folders. Anything
// else that looks meant as a patch is reported (and refused by --strict and --check), never run.
import test from 'ava';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI } from '../helpers/cli.mjs';
import { query } from '../helpers/database.mjs';
import { pgpatch, statuses } from '../helpers/project.mjs';
import { eachServer } from '../helpers/servers.mjs';
import { LOG, trustProject } from './_trust.mjs';

const logs = (name) => `insert into log (name) values ('${name}');\n`;
const logged = async (url) => (await query(url, LOG)).rows.map((r) => r.name);

/** A project with `2024-01-01_data` applied, then a copy of it and another pending patch before the copy. */
async function withCopy(t, server) {
  const { p, url } = await trustProject(t, server);
  p.patch('2024-01-01_data.sql', logs('data'));
  const first = await pgpatch(p, url, 'migrate');
  t.is(first.code, 0, first.stderr);
  p.patch('2024-02-01_other.sql', logs('other'));
  p.patch('2024-03-01_data_again.sql', logs('data'));
  return { p, url };
}

const COPY = /patch 2024-03-01_data_again has the same content as 2024-01-01_data, which is applied/;

eachServer(
  test,
  'a byte-identical copy of an applied patch, its twin still on disk, stops the run, the plan and --check before anything runs, naming the twin',
  async (t, server) => {
    const { p, url } = await withCopy(t, server);
    for (const args of [[], ['--plan'], ['--check'], ['--strict']]) {
      const r = await pgpatch(p, url, 'migrate', args);
      t.is(r.code, 2, `${args}: ${r.stderr}`);
      t.regex(r.stderr, COPY, `${args}`);
      t.regex(r.stderr, /--allow-copy 2024-03-01_data_again/, `${args}`);
    }
    t.deepEqual(await logged(url), ['data'], 'nothing ran, not even the patch before the copy');
    t.deepEqual(await statuses(url), { '2024-01-01_data': 'applied' });
  },
);

eachServer(test, '--allow-copy NAME runs the copy, and the plan and the run say whose copy it is', async (t, server) => {
  const { p, url } = await withCopy(t, server);
  const strict = await pgpatch(p, url, 'migrate', ['--strict', '--allow-copy', '2024-03-01_data_again']);
  t.is(strict.code, 2, strict.stderr);
  t.regex(strict.stderr, COPY);
  t.regex(strict.stderr, /--strict refuses/);
  const plan = await pgpatch(p, url, 'migrate', ['--plan', '--allow-copy', '2024-03-01_data_again']);
  t.is(plan.code, 0, plan.stderr);
  t.regex(plan.stdout, /would apply 2024-02-01_other/);
  t.regex(plan.stdout, /would apply 2024-03-01_data_again .*a byte-identical copy of 2024-01-01_data, applied \(--allow-copy\)/);
  const json = JSON.parse((await pgpatch(p, url, 'migrate', ['--plan', '--json', '--allow-copy', '2024-03'])).stdout);
  t.deepEqual(json.copies, [
    { name: '2024-03-01_data_again', copyOf: '2024-01-01_data', copyOfState: 'applied', allowedBy: '--allow-copy' },
  ]);
  const r = await pgpatch(p, url, 'migrate', ['--allow-copy', '2024-03-01_data_again']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /ran 2024-03-01_data_again, a byte-identical copy of 2024-01-01_data, applied \(--allow-copy\)/);
  t.deepEqual(await logged(url), ['data', 'other', 'data']);
});

eachServer(test, 'two new patches with the same bytes: the second is a copy of the first, refused the same way', async (t, server) => {
  const { p, url } = await trustProject(t, server);
  p.patch('2024-01-01_seed.sql', logs('seed'));
  p.patch('2024-01-02_seed_copy.sql', logs('seed'));
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, /patch 2024-01-02_seed_copy has the same content as 2024-01-01_seed, which this run applies first/);
  t.deepEqual(await logged(url), []);
  const allowed = await pgpatch(p, url, 'migrate', ['--allow-copy', '2024-01-02_seed_copy']);
  t.is(allowed.code, 0, allowed.stderr);
  t.deepEqual(await logged(url), ['seed', 'seed']);
});

/** Runs migrate on a terminal (script(1)), answering `answers` line by line. */
function migrateOnTerminal(p, url, answers) {
  return new Promise((resolve, reject) => {
    const command = `${process.execPath} ${CLI} migrate --dsn '${url}'`;
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: p.dir, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
    child.stdin.end(answers);
  });
}

eachServer(test, 'at the terminal, the copy is run only after a yes to a question naming its twin', async (t, server) => {
  const { p, url } = await withCopy(t, server);
  const no = await migrateOnTerminal(p, url, 'n\n');
  t.regex(no.out, /2024-03-01_data_again has the same content as 2024-01-01_data, which is applied\. Run it anyway\?/);
  t.not(no.code, 0, no.out);
  t.deepEqual(await logged(url), ['data']);
  const yes = await migrateOnTerminal(p, url, 'y\na\n');
  t.is(yes.code, 0, yes.out);
  t.deepEqual(await logged(url), ['data', 'other', 'data']);
});

/** A project with one real patch, an include kept beside the patches, and files that are not patches. */
async function mixedFolder(t, server, options) {
  const { p, url } = await trustProject(t, server, options);
  p.patch('lib/seed.sql', logs('seed'));
  p.patch('2024-01-01_seed.sql', '\\ir lib/seed.sql\n');
  p.patch('2024/2024-02-01_archived.sql', logs('archived'));
  p.patch('2024/03/2024-03-01_monthly.sql', logs('monthly'));
  p.patch('README.sql', logs('readme'));
  p.patch('.hidden.sql', logs('hidden'));
  p.patch('2026-13-45_typo.sql', logs('typo'));
  p.patch('old/2024-04-01_misplaced.sql', logs('misplaced'));
  p.patch('2024/notes.sql', logs('notes'));
  return { p, url };
}

const NOT_PATCHES = [
  /README\.sql is not a patch and never runs: its name does not start with a date \(YYYY-MM-DD\)/,
  /2026-13-45_typo\.sql is not a patch and never runs: 2026-13-45 is not a date/,
  /old\/2024-04-01_misplaced\.sql is not a patch and never runs: it is not in the patches folder or an archive folder of it \(YYYY\/ or YYYY\/MM\/\)/,
  /2024\/notes\.sql is not a patch and never runs: its name does not start with a date/,
];

eachServer(
  test,
  'only dated .sql files in the patches folder and its archive folders run; the others are reported, an include runs only where it is included',
  async (t, server) => {
    const { p, url } = await mixedFolder(t, server);
    const plan = await pgpatch(p, url, 'migrate', ['--plan']);
    t.is(plan.code, 0, plan.stderr);
    for (const re of NOT_PATCHES) t.regex(plan.stdout, re);
    t.notRegex(plan.stdout + plan.stderr, /hidden|lib\/seed/);
    const r = await pgpatch(p, url, 'migrate');
    t.is(r.code, 0, r.stderr);
    for (const re of NOT_PATCHES) t.regex(r.stderr, re);
    t.deepEqual(await logged(url), ['seed', 'archived', 'monthly']);
    t.deepEqual(await statuses(url), {
      '2024-01-01_seed': 'applied',
      '2024-02-01_archived': 'applied',
      '2024-03-01_monthly': 'applied',
    });
    const show = await pgpatch(p, url, 'showmigrations');
    t.is(show.code, 0, show.stderr);
    t.regex(show.stdout, /\[\?\] README\.sql +not a patch, never runs: its name does not start with a date/);
    t.regex(show.stdout, /\[\?\] 2026-13-45_typo\.sql +not a patch, never runs: 2026-13-45 is not a date/);
    t.notRegex(show.stdout, /hidden|seed\.sql/);
    const json = JSON.parse((await pgpatch(p, url, 'showmigrations', ['--json'])).stdout);
    t.deepEqual(
      json.notPatches.map((n) => [n.file, n.reason]),
      [
        ['2024/notes.sql', 'no_date'],
        ['2026-13-45_typo.sql', 'not_a_date'],
        ['README.sql', 'no_date'],
        [join('old', '2024-04-01_misplaced.sql'), 'misplaced'],
      ],
    );
    for (const args of [['--strict'], ['--check'], ['--plan', '--strict']]) {
      const refused = await pgpatch(p, url, 'migrate', args);
      t.is(refused.code, 2, `${args}: ${refused.stderr}`);
      t.regex(refused.stderr, /4 files in the patches folder are not patches and never run: 2024\/notes\.sql, 2026-13-45_typo\.sql/);
    }
    t.deepEqual(await logged(url), ['seed', 'archived', 'monthly']);
  },
);

eachServer(test, 'the first-run baseline records the patches and nothing else, and says what it left', async (t, server) => {
  const { p, url } = await mixedFolder(t, server, { record: false });
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 0, r.stderr);
  for (const re of NOT_PATCHES) t.regex(r.stderr, re);
  t.deepEqual(await statuses(url), {
    '2024-01-01_seed': 'assumed',
    '2024-02-01_archived': 'assumed',
    '2024-03-01_monthly': 'assumed',
  });
  const strict = await pgpatch(p, url, 'migrate', ['--strict']);
  t.is(strict.code, 2, strict.stderr);
});

const sha256 = (path) => createHash('sha256').update(readFileSync(path)).digest('hex');

eachServer(
  test,
  'a record holding undated patches (an older project) keeps working: they stay patches, new undated files do not run',
  async (t, server) => {
    const { p, url } = await trustProject(t, server);
    const init = p.patch('001_init.sql', logs('init'));
    const readme = p.patch('README.sql', logs('readme'));
    const archived = p.patch('old/2023-12-01_old.sql', logs('old'));
    // What an earlier pgpatch recorded: every .sql file under patches/ ran as a patch.
    for (const [name, path] of [
      ['001_init', init],
      ['README', readme],
      ['2023-12-01_old', archived],
    ])
      await query(url, `insert into schema_patch (name, status, checksum) values ($1, 'applied', $2)`, [name, sha256(path)]);
    p.patch('002_more.sql', logs('more'));
    p.patch('2024-01-01_new.sql', logs('new'));
    const r = await pgpatch(p, url, 'migrate');
    t.is(r.code, 0, r.stderr);
    t.deepEqual(await logged(url), ['new']);
    t.regex(r.stderr, /002_more\.sql is not a patch and never runs/);
    t.notRegex(r.stderr, /001_init|README|2023-12-01_old/);
    const show = await pgpatch(p, url, 'showmigrations');
    t.regex(show.stdout, /\[X\] 001_init +applied/);
    t.regex(show.stdout, /\[X\] 2023-12-01_old +applied/);
    t.regex(show.stdout, /\[X\] README +applied/);
    t.regex(show.stdout, /\[\?\] 002_more\.sql +not a patch/);
    // Still checked for edits.
    p.patch('001_init.sql', logs('init, edited'));
    const edited = await pgpatch(p, url, 'showmigrations');
    t.regex(edited.stdout, /\[E\] 001_init/);
    p.patch('001_init.sql', logs('init'));
    p.remove('002_more.sql');
    const strict = await pgpatch(p, url, 'migrate', ['--strict']);
    t.is(strict.code, 0, strict.stderr);
  },
);

eachServer(
  test,
  'showmigrations on a half-built database (interrupted first-run build) says so, and lists nothing as pending',
  async (t, server) => {
    const { p, url } = await trustProject(t, server);
    p.patch('2024-01-01_a.sql', logs('a'));
    // What migrate's first run leaves when killed during a build that cannot run in one transaction.
    await query(
      url,
      "insert into schema_patch (name, status, stage, error) values ('pgpatch/first-run build', 'applying', 'patch', 'building the database from schema/database.sql')",
    );
    const show = await pgpatch(p, url, 'showmigrations');
    t.is(show.code, 0, show.stderr);
    t.regex(show.stdout, /half-built database: its first-run build from the schema files was interrupted .*: recreate it/);
    t.notRegex(show.stdout, /\[ \]|\[!\]|no longer on disk/);
    const json = JSON.parse((await pgpatch(p, url, 'showmigrations', ['--json'])).stdout);
    t.like(json.halfBuilt, { status: 'applying' });
    const migrate = await pgpatch(p, url, 'migrate');
    t.is(migrate.code, 2, migrate.stderr);
    t.regex(migrate.stderr, /half-built/);
  },
);

eachServer(test, 'an error caused by another is printed with one "pgpatch: error:" prefix', async (t, server) => {
  const { p, url } = await trustProject(t, server);
  p.patch('2024-01-01_a.sql', logs('a'));
  p.script('2024-01-01_a.post.sh', 'exit 7');
  const r = await pgpatch(p, url, 'migrate');
  t.not(r.code, 0, r.stderr);
  t.regex(r.stderr, /exited with status 7/);
  t.is(r.stderr.match(/pgpatch: error:/g)?.length, 1, r.stderr);
});

eachServer(test, 'a Latin-1 byte in a -- comment is refused, in a patch and in a file load runs', async (t, server) => {
  const { p, url } = await trustProject(t, server);
  const latin1 = Buffer.concat([Buffer.from('create table t (id int);\n-- caf'), Buffer.from([0xe9]), Buffer.from('\n')]);
  p.patch('2024-01-01_latin1.sql', latin1);
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, /not valid UTF-8 \(line 2, byte 32\) at column 7/);
  p.remove('2024-01-01_latin1.sql');
  const file = p.patch('../latin1.sql', latin1);
  const load = await pgpatch(p, url, 'load', [file, '--force', '--no-record']);
  t.is(load.code, 3, load.stderr);
  t.regex(load.stderr, /not valid UTF-8/);
  t.deepEqual(await statuses(url), {});
  t.is((await query(url, "select to_regclass('t') as t")).rows[0].t, null);
});
