// Files in the patches folder that cannot be patches: a symbolic link to nothing, a loop of
// links, a name that a command line takes for an option, a NUL byte. Each is a clear error
// naming the file, with the exit status of the README's table, before any patch runs.
import test from 'ava';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { useDatabase } from '../helpers/database.mjs';
import { pgpatch, projectWithRecord, statuses } from '../helpers/project.mjs';

useDatabase(test);
test.afterEach.always((t) => t.context.project?.cleanup());

async function setup(t) {
  const { p, url } = await projectWithRecord(t);
  p.patch('2024-01-01_first.sql', "insert into log (name) values ('first');\n");
  return { p, url };
}

const cases = [
  [
    'a symbolic link to nothing',
    (p) => symlinkSync('nothere.sql', join(p.patchesDir, '2024-02-01_dangling.sql')),
    /error: patch file 2024-02-01_dangling\.sql is a symbolic link to a file that does not exist\n {2}schema\/patches\/2024-02-01_dangling\.sql/,
  ],
  [
    'a loop of symbolic links',
    (p) => symlinkSync('2024-02-01_loop.sql', join(p.patchesDir, '2024-02-01_loop.sql')),
    /error: patch file 2024-02-01_loop\.sql is a loop of symbolic links\n {2}schema\/patches\/2024-02-01_loop\.sql/,
  ],
  [
    'a symbolic link to a folder',
    (p) => {
      mkdirSync(join(p.dir, 'folder'));
      symlinkSync('../../folder', join(p.patchesDir, '2024-02-01_dir.sql'));
    },
    /error: patch file 2024-02-01_dir\.sql is a symbolic link to something that is not a file/,
  ],
  [
    'a name starting with -',
    (p) => p.patch('--help.sql', 'select 1;\n'),
    /error: patch file --help\.sql has a name starting with "-", which a command line would take for an option\n {2}schema\/patches\/--help\.sql\n {2}hint: rename it/,
  ],
];

for (const [what, make, message] of cases) {
  test(`${what} in the patches folder: exit 2 naming it, before any patch runs`, async (t) => {
    const { p, url } = await setup(t);
    make(p);
    for (const command of ['migrate', 'showmigrations']) {
      const r = await pgpatch(p, url, command);
      t.is(r.code, 2, `${command}: ${r.stderr}`);
      t.regex(r.stderr, message);
      t.notRegex(r.stderr, /internal error/);
    }
    t.deepEqual(await statuses(url), {});
  });
}

test('a patch with a NUL byte: exit 3 naming the file and line, before any patch runs', async (t) => {
  const { p, url } = await setup(t);
  p.patch('2024-02-01_nul.sql', Buffer.from("select 1;\nselect 'x\0';\n"));
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, /holds a NUL byte \(line 2, byte 20\).*: schema\/patches\/2024-02-01_nul\.sql/);
  t.deepEqual(await statuses(url), {});
});
