// `pgpatch diff` end to end: two databases, or a database and schema files built in a scratch
// database. The per-kind correctness is the round trip (roundtrip.test.mjs); here: the output,
// the exit codes, --json, --schema, and the demo's history (an empty database to the demo, then
// the demo to the demo after a feature) applied with psql-like execution until nothing differs.
import test from 'ava';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/cli.mjs';
import { createDatabase, query } from '../helpers/database.mjs';
import { eachServer } from '../helpers/servers.mjs';
import { tempDir } from '../helpers/gitdir.mjs';

const DEMO = fileURLToPath(new URL('../../fixtures/demo', import.meta.url));

function diff(server, args) {
  return runCli(['diff', '--scratch-url', server.url, ...args], { env: { NODE_EXTRA_CA_CERTS: undefined } });
}

async function db(t, server, sql) {
  const d = await createDatabase(server.url, 'pgpatch_diff');
  t.teardown(() => d.drop());
  if (sql) await query(d.url, sql);
  return d;
}

eachServer(
  test,
  'two databases: the SQL on stdout, a DATA LOSS comment before a dropped column, --exit-code; nothing when equal',
  async (t, server) => {
    const a = await db(t, server, 'create table t (id int primary key, old text);');
    const b = await db(t, server, 'create table t (id int primary key, n int not null default 0);');
    const r = await diff(server, ['--from', a.url, '--to', b.url, '--exit-code']);
    t.is(r.code, 1, r.stderr);
    t.regex(r.stdout, /-- DATA LOSS: drops column old of public\.t and its values\nalter table public\.t drop column old;/);
    t.regex(r.stdout, /alter table public\.t add column n integer default 0 not null;/);
    await query(a.url, r.stdout);
    const again = await diff(server, ['--from', a.url, '--to', b.url, '--exit-code']);
    t.is(again.code, 0, again.stderr);
    t.is(again.stdout, '');
    t.regex(again.stderr, /have the same schema/);
  },
);

eachServer(test, '--json lists the statements with the difference each answers; --schema limits it', async (t, server) => {
  const a = await db(t, server, 'create schema s1; create schema s2;');
  const b = await db(t, server, 'create schema s1; create schema s2; create table s1.x (id int); create table s2.y (id int);');
  const r = await diff(server, ['--json', '--from', a.url, '--to', b.url, '--schema', 's1']);
  t.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.false(out.same);
  t.deepEqual(
    out.statements.map((s) => s.answers),
    ['table s1.x: created'],
  );
  t.regex(out.statements[0].sql, /^create table s1\.x/);
  const ex = JSON.parse(
    (await diff(server, ['--json', '--from', a.url, '--to', b.url, '--exclude-schema', 's1', '--exclude-schema', 's2'])).stdout,
  );
  t.true(ex.same);
});

eachServer(test, 'a source that cannot be read fails with exit 2, never "no changes"', async (t, server) => {
  const a = await db(t, server);
  const r = await diff(server, ['--from', a.url, '--to', '/nonexistent/database.sql']);
  t.is(r.code, 2, r.stderr);
  t.is(r.stdout, '');
  t.regex(r.stderr, /no such schema file/);
});

eachServer(
  test,
  'the demo history: empty -> the demo files, then the demo -> the demo with a feature; applied, nothing is left',
  async (t, server) => {
    const dir = tempDir();
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    cpSync(DEMO, join(dir, 'v1'), { recursive: true });
    cpSync(DEMO, join(dir, 'v2'), { recursive: true });
    const myapp = join(dir, 'v2', 'myapp.sql');
    writeFileSync(
      myapp,
      readFileSync(myapp, 'utf8')
        .replace('    title text not null,\n', '    title text not null,\n    subtitle text,\n')
        .replace(
          'create index myapp_book_author_idx on myapp_book (author_id);',
          'create index myapp_book_author_idx on myapp_book (author_id);\ncreate index myapp_book_published_idx on myapp_book (published_on);',
        ),
    );
    // The demo creates roles: the live database starts as the demo's roles need it (users.sql is idempotent).
    const live = await db(t, server);
    const first = await diff(server, ['--from', live.url, '--to', join(dir, 'v1', 'database.sql')]);
    t.is(first.code, 0, first.stderr);
    await query(live.url, first.stdout);
    t.is((await diff(server, ['--from', live.url, '--to', join(dir, 'v1', 'database.sql')])).stdout, '', 'empty -> demo round-trips');
    const second = await diff(server, ['--from', join(dir, 'v1', 'database.sql'), '--to', join(dir, 'v2', 'database.sql')]);
    t.regex(second.stdout, /alter table myapp\.myapp_book add column subtitle text;/);
    t.regex(second.stdout, /-- LOCK: builds the index under a SHARE lock.*\ncreate index myapp_book_published_idx/);
    await query(live.url, second.stdout);
    const left = await diff(server, ['--from', live.url, '--to', join(dir, 'v2', 'database.sql')]);
    t.is(left.stdout, '', left.stderr);
  },
);
