// The password file (~/.pgpass, PGPASSFILE, passfile): read as libpq reads it, and when it is
// ignored, the error says why, as psql does ("password file ... has group or world access").
// A throwaway cluster of its own that asks for a password: the shared test servers trust everyone.
import test from 'ava';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { passwordFromFile } from 'pgpatch';
import { runCli } from '../helpers/cli.mjs';
import { startTestCluster } from '../helpers/clusters.mjs';
import { adminQuery } from '../helpers/database.mjs';

let cluster;
test.before(async () => {
  cluster = await startTestCluster('pgpass');
  await adminQuery(cluster.url, "create role pw login password 'se:sa\\me'");
  const hba = join(cluster.dataDir, 'pg_hba.conf');
  writeFileSync(hba, `host all pw 127.0.0.1/32 scram-sha-256\n${readFileSync(hba, 'utf8')}`);
  await adminQuery(cluster.url, 'select pg_reload_conf()');
});
test.after.always(() => cluster?.stop());

function passwordFile(t, mode, content) {
  const dir = mkdtempSync(join(tmpdir(), 'pgpatch-pgpass-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'pgpass');
  writeFileSync(file, content);
  chmodSync(file, mode);
  return { dir, file };
}

const show = (dir, file, port, args = []) =>
  runCli(['showmigrations', '--dsn', `postgresql://pw@127.0.0.1:${port}/postgres`, ...args], {
    cwd: dir,
    env: { PGPASSFILE: file, PGPASSWORD: undefined, HOME: dir },
  });

test('a password file others can read is ignored, and the error says so (psql: "has group or world access")', async (t) => {
  const port = new URL(cluster.url).port;
  const { dir, file } = passwordFile(t, 0o644, `# comment\n127.0.0.1:${port}:postgres:pw:se\\:sa\\\\me\n`);
  const why = `no password supplied \\(password file "${file}" has group or world access; permissions should be u=rw \\(0600\\) or less\\)`;
  const refused = await show(dir, file, port);
  t.is(refused.code, 4, refused.stderr);
  t.regex(refused.stderr, new RegExp(`^pgpatch: error: cannot connect to .*: fe_sendauth: ${why}$`, 'm'));
  // Said in the error itself (so in --json too), not by a warning a dependency writes to stderr.
  t.notRegex(refused.stderr, /^WARNING/m);
  const json = await show(dir, file, port, ['--json']);
  t.regex(JSON.parse(json.stdout).error.message, new RegExp(why));
  chmodSync(file, 0o600);
  const ok = await show(dir, file, port);
  t.is(ok.code, 0, ok.stderr);
  t.regex(ok.stdout, /no public\.schema_patch record yet/);
});

test('passwordFromFile: escapes, comments, wildcards and the first matching line, as libpq', async (t) => {
  const { file } = passwordFile(
    t,
    0o600,
    '#db:5432:app:bob:commented\n*:5432:other:bob:wrong-db\ndb:*:app:bob:a\\:b\\\\c\ndb:5432:app:bob:second\n',
  );
  const info = { host: 'db', port: '5432', dbname: 'app', user: 'bob', passfile: file };
  t.is(await passwordFromFile(info, {}), 'a:b\\c');
  t.is(await passwordFromFile({ ...info, dbname: 'other' }, {}), 'wrong-db');
  t.is(await passwordFromFile({ ...info, user: 'eve' }, {}), undefined);
  chmodSync(file, 0o640);
  t.is(await passwordFromFile(info, {}), undefined);
});
