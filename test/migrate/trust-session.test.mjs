// Each patch starts from the session state a fresh connection has (as with one psql per patch),
// without losing the run lock, and the record says who each patch ran as.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { adminQuery, query } from '../helpers/database.mjs';
import { pgpatch, record, statuses } from '../helpers/project.mjs';
import { eachServer } from '../helpers/servers.mjs';
import { trustProject } from './_trust.mjs';

eachServer(
  test,
  'search_path, role, statement_timeout and the rest set by one patch do not reach the next; ran_as records the role',
  async (t, server) => {
    const { p, url } = await trustProject(t, server);
    const role = `pgpatch_trust_${randomBytes(4).toString('hex')}`;
    await adminQuery(server.url, `create role ${role}`);
    t.teardown(() => adminQuery(server.url, `drop role if exists ${role}`).catch(() => undefined));
    // The role writes the first patch's record (it runs as that role at its end).
    await query(url, `grant all on schema_patch to ${role}`);
    t.teardown(() => query(url, `revoke all on schema_patch from ${role}`).catch(() => undefined));
    p.patch(
      '2024-01-01_settings.sql',
      `create schema other;
create temp table scratch (id int);
prepare q as select 1;
listen somewhere;
set search_path = other;
set statement_timeout = '1s';
set session characteristics as transaction read only;
set role ${role};
`,
    );
    p.patch(
      '2024-02-01_next.sql',
      `create table made_by_next (id int);
create temp table scratch (id int);
prepare q as select 2;
select pg_sleep(1.5);
`,
    );
    // Statement by statement (an \\echo keeps it out of the batch): the reset applies there too.
    p.patch('2024-03-01_one_by_one.sql', '\\echo one by one\ncreate table made_one_by_one (id int);\nset search_path = other;\n');
    p.patch('2024-04-01_last.sql', '-- pgpatch: no-transaction\ncreate table made_last (id int);\n');
    const r = await pgpatch(p, url, 'migrate');
    t.is(r.code, 0, r.stderr);
    const { rows } = await query(
      url,
      `select c.relname, n.nspname, pg_get_userbyid(c.relowner) as owner from pg_class c
    join pg_namespace n on n.oid = c.relnamespace where c.relname in ('made_by_next', 'made_one_by_one', 'made_last') order by 1`,
    );
    const user = (await query(url, 'select current_user as u')).rows[0].u;
    t.deepEqual(rows, [
      { relname: 'made_by_next', nspname: 'public', owner: user },
      { relname: 'made_last', nspname: 'public', owner: user },
      { relname: 'made_one_by_one', nspname: 'public', owner: user },
    ]);
    const ranAs = Object.fromEntries((await record(url)).map((row) => [row.name, row.ran_as]));
    t.deepEqual(ranAs, { '2024-01-01_settings': role, '2024-02-01_next': user, '2024-03-01_one_by_one': user, '2024-04-01_last': user });
  },
);

// The reference runs one psql per patch: a setting given to the database or to the role by a
// patch is what the next patch's fresh connection starts with. One migrate run and one run per
// patch must build the same database.
eachServer(
  test,
  'ALTER DATABASE ... SET and ALTER ROLE ... SET in a patch: the next patch of the same run sees them',
  async (t, server) => {
    const build = async (runs) => {
      const { p, url } = await trustProject(t, server);
      const db = new URL(url).pathname.slice(1);
      p.patch('2024-01-01_other.sql', `create schema other;\nalter database ${db} set search_path = other, public;\n`);
      p.patch('2024-02-01_table.sql', 'create table placed (id int);\n');
      p.patch('2024-03-01_flag.sql', `alter role current_user in database ${db} set pgpatch_test.flag = 'on';\n`);
      p.patch(
        '2024-04-01_read.sql',
        "-- pgpatch: no-transaction\ncreate table seen as select current_setting('pgpatch_test.flag', true) as flag;\n",
      );
      p.patch('2024-05-01_reset.sql', `-- pgpatch: no-transaction\nalter database ${db} reset search_path;\n`);
      p.patch('2024-06-01_after.sql', 'create table after_reset (id int);\n');
      if (runs === 1) {
        const r = await pgpatch(p, url, 'migrate');
        t.is(r.code, 0, r.stderr);
      } else {
        for (const upTo of [
          '2024-01-01_other',
          '2024-02-01_table',
          '2024-03-01_flag',
          '2024-04-01_read',
          '2024-05-01_reset',
          '2024-06-01_after',
        ]) {
          const r = await pgpatch(p, url, 'migrate', [upTo]);
          t.is(r.code, 0, r.stderr);
        }
      }
      const { rows } = await query(
        url,
        `select c.relname, n.nspname from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relname in ('placed', 'seen', 'after_reset') order by 1`,
      );
      const flag = (await query(url, 'select flag from other.seen')).rows[0].flag;
      return { rows, flag };
    };
    const one = await build(1);
    t.deepEqual(one, {
      rows: [
        { relname: 'after_reset', nspname: 'public' },
        { relname: 'placed', nspname: 'other' },
        { relname: 'seen', nspname: 'other' },
      ],
      flag: 'on',
    });
    t.deepEqual(await build('per patch'), one);
  },
);

eachServer(test, "a patch's own session-level advisory locks are released at its end, the run lock aside", async (t, server) => {
  const { p, url } = await trustProject(t, server);
  const held = (key) => `(select count(*) from pg_locks where locktype = 'advisory' and pid = pg_backend_pid() and objid = ${key})`;
  p.patch('2024-01-01_take.sql', 'select pg_advisory_lock(4242), pg_advisory_lock(4242), pg_advisory_lock_shared(4343);\n');
  p.patch(
    '2024-02-01_check.sql',
    `do $$ begin if ${held(4242)} + ${held(4343)} > 0 then raise exception 'the patch before left its advisory locks'; end if; end $$;\n`,
  );
  p.patch('2024-03-01_take_again.sql', '-- pgpatch: no-transaction\nselect pg_advisory_lock(4242);\n');
  p.patch('2024-04-01_check_again.sql', `do $$ begin if ${held(4242)} > 0 then raise exception 'still held'; end if; end $$;\n`);
  const r = await pgpatch(p, url, 'migrate');
  t.is(r.code, 0, r.stderr);
  t.is(Object.keys(await statuses(url)).length, 4);
});
