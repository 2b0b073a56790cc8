// try: a patch run on the target in a transaction that is always rolled back, with what it
// locked, rewrote and changed, and whether the schema files now match. The target is left
// exactly as it was, whatever happens to the patch or to the process running it.
import test from 'ava';
import { spawn } from 'node:child_process';
import { connect, inspectDatabase, targetFrom } from 'pgpatch';
import { CLI, runCli } from '../helpers/cli.mjs';
import { createDatabase, query } from '../helpers/database.mjs';
import { plainProject } from '../helpers/gitdir.mjs';
import { eachServer } from '../helpers/servers.mjs';

const SCHEMA = 'create table book (id bigint primary key, title text not null, pages int);\n';

async function setup(t, server, patches, schema = SCHEMA) {
  const db = await createDatabase(server.url, 'pgpatch_try');
  t.teardown(() => db.drop());
  await query(db.url, `${SCHEMA}insert into book select g, 'title ' || g, g from generate_series(1, 500) g;`);
  const files = { 'schema/database.sql': schema };
  for (const [name, sql] of Object.entries(patches)) files[`schema/patches/${name}.sql`] = sql;
  return { db, root: plainProject(t, files) };
}

function tryPatch(root, server, db, args) {
  return runCli(['try', '--dsn', db.url, '--scratch-url', server.url, ...args], {
    cwd: root,
    env: { NODE_EXTRA_CA_CERTS: undefined },
    timeoutMs: 180000,
  });
}

/** The schema as inspect sees it, the files behind the relations, and every row: "byte-for-byte as it was". */
async function state(url) {
  const session = await connect(targetFrom(url, 'test'));
  try {
    const model = await inspectDatabase(session, { exclude: [] });
    const files = (await session.query(`select relname, relfilenode from pg_class where relnamespace = 'public'::regnamespace order by 1`))
      .rows;
    const rows = (await session.query('select * from book order by id')).rows;
    return { model, files, rows };
  } finally {
    await session.end();
  }
}

eachServer(
  test,
  'a column type change: reports the rewrite and its ACCESS EXCLUSIVE lock, the change, and leaves the database as it was',
  async (t, server) => {
    const { db, root } = await setup(t, server, {
      '2026-01-01_wide_pages': "set lock_timeout = '1s';\n\nalter table book alter column pages type bigint;\n",
    });
    const before = await state(db.url);
    const r = await tryPatch(root, server, db, ['2026-01-01', '--json']);
    t.is(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    const alter = result.statements[1];
    t.is(alter.location.line, 3);
    t.deepEqual(
      alter.rewrites.map((x) => x.relation),
      ['public.book'],
    );
    const lock = alter.locks.find((l) => l.relation === 'public.book');
    t.is(lock.mode, 'AccessExclusiveLock');
    t.deepEqual(lock.blocks, ['reads', 'writes', 'schema changes']);
    t.true(
      result.changes.some((d) => /pages/.test(d.message) && /bigint/.test(d.message)),
      JSON.stringify(result.changes),
    );
    t.is(result.schemaFiles.matches, false, 'the schema files still say int');
    t.true(result.schemaFiles.differences.some((d) => /pages/.test(d.message)));
    t.true(result.hazards.some((h) => /rewrites public\.book/.test(h)));
    t.deepEqual(await state(db.url), before);
    const text = await tryPatch(root, server, db, ['2026-01-01']);
    t.regex(text.stdout, /lock ACCESS EXCLUSIVE on public\.book: blocks reads, writes, schema changes/);
    t.regex(text.stdout, /rewrites public\.book/);
    t.regex(text.stdout, /rolled back: nothing was committed/);
  },
);

eachServer(test, '"matches the schema files" is right both ways: yes once the files say what the patch does', async (t, server) => {
  const { db, root } = await setup(
    t,
    server,
    {
      '2026-01-01_isbn': 'alter table book add column isbn text;\ncreate index book_isbn on book (isbn);\n',
    },
    SCHEMA.replace('pages int', 'pages int, isbn text') + 'create index book_isbn on book (isbn);\n',
  );
  const r = await tryPatch(root, server, db, ['2026-01-01_isbn', '--json']);
  t.is(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  t.true(result.schemaFiles.matches, JSON.stringify(result.schemaFiles.differences));
  t.deepEqual(
    result.statements[1].indexBuilds.map((b) => [b.index, b.table]),
    [['public.book_isbn', 'public.book']],
  );
  // ADD COLUMN took ACCESS EXCLUSIVE; the index build's SHARE lock is weaker, so nothing new is held.
  t.deepEqual(
    result.statements[0].locks.map((l) => [l.relation, l.mode]),
    [['public.book', 'AccessExclusiveLock']],
  );
  t.deepEqual(result.statements[1].locks, []);
  const partial = await setup(
    t,
    server,
    { '2026-01-01_isbn': 'alter table book add column isbn text;\n' },
    SCHEMA.replace('pages int', 'pages int, isbn text') + 'create index book_isbn on book (isbn);\n',
  );
  const p = JSON.parse((await tryPatch(partial.root, server, partial.db, ['2026-01-01_isbn', '--json'])).stdout);
  t.false(p.schemaFiles.matches);
  t.true(
    p.schemaFiles.differences.some((d) => /book_isbn/.test(d.message)),
    'the index the patch forgot is named',
  );
});

eachServer(test, 'a patch that fails half-way shows its error as migrate does and leaves nothing', async (t, server) => {
  const { db, root } = await setup(t, server, {
    '2026-01-01_broken': 'create table shelf (id int);\nupdate book set pages = pages + 1;\nselect 1/0;\n',
  });
  const before = await state(db.url);
  const r = await tryPatch(root, server, db, ['2026-01-01_broken', '--json']);
  t.is(r.code, 3);
  const result = JSON.parse(r.stdout);
  t.is(result.statements.length, 2);
  t.is(result.statements[1].rows, 500);
  t.is(result.error.code, 'sql');
  t.regex(r.stderr, /2026-01-01_broken\.sql:3:\d+: ERROR: {2}division by zero/);
  t.deepEqual(await state(db.url), before);
});

eachServer(
  test,
  'a patch with a COMMIT of its own in the middle, or with CREATE INDEX CONCURRENTLY, is refused before it touches the target',
  async (t, server) => {
    const { db, root } = await setup(t, server, {
      '2026-01-01_two': 'begin;\nalter table book add column a int;\ncommit;\nbegin;\nalter table book add column d int;\ncommit;\n',
      '2026-01-02_mid': 'alter table book add column b int;\ncommit;\nalter table book add column c int;\n',
      '2026-01-03_conc': 'create index concurrently book_title on book (title);\n',
      '2026-01-04_vacuum': 'update book set pages = 0;\nvacuum book;\n',
    });
    const before = await state(db.url);
    for (const name of ['2026-01-01_two', '2026-01-02_mid', '2026-01-03_conc', '2026-01-04_vacuum']) {
      const r = await tryPatch(root, server, db, [name]);
      t.is(r.code, 2, `${name}: ${r.stderr}`);
      t.regex(r.stderr, /try will not run .* on the target/);
    }
    t.deepEqual(await state(db.url), before);
    // Refused before any connection: a target that does not answer is never reached.
    const nowhere = await runCli(['try', '--dsn', 'postgresql://nobody@127.0.0.1:1/none', '2026-01-03_conc'], {
      cwd: root,
      env: { NODE_EXTRA_CA_CERTS: undefined },
    });
    t.is(nowhere.code, 2, nowhere.stderr);
    t.regex(nowhere.stderr, /try will not run 2026-01-03_conc on the target/);
  },
);

for (const signal of ['SIGKILL', 'SIGINT']) {
  eachServer(test, `${signal} during a long try leaves nothing`, async (t, server) => {
    const { db, root } = await setup(t, server, {
      '2026-01-01_slow': 'alter table book add column z int;\nupdate book set z = 1;\nselect pg_sleep(60);\n',
    });
    const before = await state(db.url);
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    const child = spawn(process.execPath, [CLI, 'try', '--dsn', db.url, '--no-schema-files', '2026-01-01_slow'], {
      cwd: root,
      env,
      stdio: 'ignore',
    });
    const sleeping =
      "select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and query like '%pg_sleep(60)%'";
    for (let i = 0; i < 1200 && !(await query(db.url, sleeping)).rows[0].n; i++) await new Promise((r) => setTimeout(r, 50));
    child.kill(signal);
    await new Promise((r) => child.on('close', r));
    const started = Date.now();
    while ((await query(db.url, sleeping)).rows[0].n) {
      if (Date.now() - started > 45000) return t.fail('the try session was still running 45 s after its process died');
      await new Promise((r) => setTimeout(r, 100));
    }
    t.deepEqual(await state(db.url), before);
  });
}

eachServer(
  test,
  '--scratch: a CONCURRENTLY patch runs on a database built from the schema files at the base and the patches since, dropped after',
  async (t, server) => {
    const { gitProject, writeFiles } = await import('../helpers/gitdir.mjs');
    const root = gitProject(t, { 'schema/database.sql': SCHEMA, 'schema/patches/2025-12-01_old.sql': 'select 1;\n' });
    writeFiles(root, {
      'schema/database.sql': `${SCHEMA.replace('pages int', 'pages int, isbn text')}create index book_isbn on book (isbn);\n`,
      'schema/patches/2026-01-01_isbn.sql': 'alter table book add column isbn text;\n',
      'schema/patches/2026-01-02_index.sql': 'create index concurrently book_isbn on book (isbn);\n',
    });
    const r = await runCli(['try', '--scratch', '--base', 'HEAD', '--scratch-url', server.url, '--json', '2026-01-02'], {
      cwd: root,
      env: { NODE_EXTRA_CA_CERTS: undefined },
      timeoutMs: 180000,
    });
    t.is(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    t.regex(result.scratch, /schema files at HEAD .* and 1 patch since/);
    t.deepEqual(
      result.statements[0].indexBuilds.map((b) => b.index),
      ['public.book_isbn'],
    );
    t.true(result.schemaFiles.matches, JSON.stringify(result.schemaFiles.differences));
    // Only this test makes pgpatch_try_scratch_* databases on this server.
    t.is(
      (await query(server.url, "select count(*)::int as n from pg_database where datname like 'pgpatch\\_try\\_scratch\\_%'")).rows[0].n,
      0,
      'the scratch database was dropped',
    );
  },
);

eachServer(test, '--watch runs the patch again on every save, each time rolled back', async (t, server) => {
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { db, root } = await setup(t, server, { '2026-01-01_watch': 'alter table book add column a int;\n' });
  const before = await state(db.url);
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const child = spawn(process.execPath, [CLI, 'try', '--watch', '--no-schema-files', '--dsn', db.url, '2026-01-01_watch'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const waitFor = async (re) => {
    for (let i = 0; i < 1200 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 50));
    return re.test(out);
  };
  t.true(await waitFor(/column a/), out);
  writeFileSync(join(root, 'schema/patches/2026-01-01_watch.sql'), 'alter table book add column b text;\n');
  t.true(await waitFor(/column b/), out);
  child.kill('SIGINT');
  await new Promise((r) => child.on('close', r));
  // At least once per save (an editor's save can arrive as two events after the debounce).
  t.true(out.match(/rolled back: nothing was committed/g).length >= 2);
  t.deepEqual(await state(db.url), before);
});
