// migrate on PostgreSQL 15 (the oldest major the test bed runs): one smoke test.
import test from 'ava';
import { createDatabase, query } from '../helpers/database.mjs';
import { exists, makeProject, pgpatch, statuses } from '../helpers/project.mjs';
import { eachServer } from '../helpers/servers.mjs';

eachServer(
  test,
  'migrate: first run, wrapped, own and non-transactional patches, a failure, showmigrations',
  async (t, pg15) => {
    const db = await createDatabase(pg15.url, 'pgpatch_test15');
    const p = makeProject({
      database: 'create table log (id serial primary key, name text not null);\n',
      patches: { '2024-01-01_old.sql': "insert into log (name) values ('old');\n" },
    });
    try {
      const { url } = db;
      t.regex((await query(url, 'show server_version')).rows[0].server_version, /^15\./);
      const first = await pgpatch(p, url, 'migrate');
      t.is(first.code, 0, first.stderr);
      t.deepEqual(await statuses(url), { '2024-01-01_old': 'assumed' });
      p.patch('2024-02-01_wrapped.sql', "create table w (id int);\ninsert into log (name) values ('wrapped');\n");
      p.patch('2024-03-01_own.sql', "begin;\ninsert into log (name) values ('own');\ncommit;\n");
      p.patch('2024-04-01_conc.sql', 'create index concurrently w_idx on w (id);\n');
      p.patch('2024-05-01_bad.sql', 'create table bad (id int);\nselect nope;\n');
      const r = await pgpatch(p, url, 'migrate');
      t.is(r.code, 3, r.stderr);
      t.regex(r.stderr, /2024-05-01_bad\.sql:2:8: ERROR:  column "nope" does not exist/);
      t.deepEqual(await statuses(url), {
        '2024-01-01_old': 'assumed',
        '2024-02-01_wrapped': 'applied',
        '2024-03-01_own': 'applied',
        '2024-04-01_conc': 'applied',
      });
      t.true(await exists(url, 'w_idx'));
      t.false(await exists(url, 'bad'));
      t.deepEqual(
        (await query(url, 'select name from log order by id')).rows.map((x) => x.name),
        ['wrapped', 'own'],
      );
      const show = await pgpatch(p, url, 'showmigrations');
      t.regex(show.stdout, /\[ \] 2024-05-01_bad\s+pending/);
      t.is((await pgpatch(p, url, 'migrate', ['--check'])).code, 1);
    } finally {
      p.cleanup();
      await db.drop();
    }
  },
  { only: ['pg15'] },
);
