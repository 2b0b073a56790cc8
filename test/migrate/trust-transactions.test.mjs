// Transaction modes as users write them: session settings before one BEGIN ... COMMIT are the
// patch's own transaction; the reason given for running without one is true; and a patch run
// outside a transaction is never said to be rolled back.
import test from 'ava';
import { query } from '../helpers/database.mjs';
import { pgpatch, statuses } from '../helpers/project.mjs';
import { eachServer } from '../helpers/servers.mjs';
import { LOG, trustProject } from './_trust.mjs';

eachServer(
  test,
  "set lock_timeout before BEGIN ... COMMIT is the patch's own transaction: a failure in it leaves nothing recorded",
  async (t, server) => {
    const { p, url } = await trustProject(t, server);
    p.patch(
      '2024-01-01_linted.sql',
      "set lock_timeout = '5s';\nBEGIN;\ninsert into log (name) values ('linted');\nselect 1/:one;\nCOMMIT;\n",
    );
    const planned = await pgpatch(p, url, 'migrate', ['--plan', '-v', 'one=0']);
    t.regex(planned.stdout, /would apply 2024-01-01_linted  \[session settings, then its own BEGIN \.\.\. COMMIT\]/);
    const failed = await pgpatch(p, url, 'migrate', ['-v', 'one=0']);
    t.is(failed.code, 3, failed.stderr);
    t.regex(failed.stderr, /it was rolled back and is not recorded/);
    t.deepEqual(await statuses(url), {}, 'not "failed": nothing blocks the next run');
    t.deepEqual((await query(url, LOG)).rows, []);
    const ok = await pgpatch(p, url, 'migrate', ['-v', 'one=1', '--json']);
    t.is(ok.code, 0, ok.stderr);
    t.like(JSON.parse(ok.stdout).outcomes[0], { name: '2024-01-01_linted', mode: 'own' });
    // Its record committed with it (same transaction as its row in log).
    const { rows } = await query(
      url,
      `select (select xmin::text from schema_patch where name = '2024-01-01_linted') as rec,
      (select xmin::text from log where name = 'linted') as data`,
    );
    t.is(rows[0].rec, rows[0].data);
  },
);

eachServer(
  test,
  'the reason for running without a transaction is what the patch does: COMMIT without BEGIN is not "several transactions"',
  async (t, server) => {
    const { p, url } = await trustProject(t, server);
    p.patch('2024-01-01_commit_only.sql', "insert into log (name) values ('c');\ncommit;\n");
    p.patch(
      '2024-02-01_several.sql',
      "begin;\ninsert into log (name) values ('s1');\ncommit;\nbegin;\ninsert into log (name) values ('s2');\ncommit;\n",
    );
    p.patch('2024-03-01_after_commit.sql', "begin;\ninsert into log (name) values ('x');\ncommit;\ninsert into log (name) values ('y');\n");
    const json = JSON.parse((await pgpatch(p, url, 'migrate', ['--plan', '--json'])).stdout);
    t.deepEqual(
      json.outcomes.map((o) => [o.name, o.mode, o.reason]),
      [
        ['2024-01-01_commit_only', 'none', 'COMMIT without BEGIN: runs as written, statement by statement'],
        ['2024-02-01_several', 'none', 'several transactions'],
        ['2024-03-01_after_commit', 'none', 'statements outside its BEGIN ... COMMIT: runs as written, statement by statement'],
      ],
    );
  },
);

eachServer(test, 'a no-transaction patch whose final record write fails is not said to be rolled back', async (t, server) => {
  const { p, url } = await trustProject(t, server);
  p.patch(
    '2024-01-01_trigger.sql',
    `-- pgpatch: no-transaction
create function refuse_record() returns trigger language plpgsql as $$ begin raise exception 'no record for you'; end $$;
create trigger refuse_record before update on schema_patch for each row execute function refuse_record();
`,
  );
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 3, r.stderr);
  t.notRegex(r.stderr, /was rolled back/);
  t.regex(r.stderr, /nothing of it was undone, and its record could not be updated: it still says "applying"/);
  t.regex(r.stderr, /no record for you/);
  t.notRegex(r.stderr, /internal error/);
  t.deepEqual(await statuses(url), { '2024-01-01_trigger': 'applying/patch' });
});
