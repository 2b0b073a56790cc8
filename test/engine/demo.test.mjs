// The demo schema (fixtures/demo) loads on every test server through pgpatch, and the database
// pgpatch builds equals the one real psql builds from the same files: compared with pg_dump
// --schema-only of the server's own major where we have it (PostgreSQL 15), and with a catalog
// query on every server (there is no pg_dump 18 on these machines).
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runCli } from '../helpers/cli.mjs';
import { cleanEnv, freshDatabase, query } from '../helpers/database.mjs';
import { eachServer } from '../helpers/servers.mjs';

const run = promisify(execFile);
const DEMO = fileURLToPath(new URL('../../fixtures/demo/', import.meta.url));
const PG15_BIN = '/usr/lib/postgresql/15/bin';
const PSQL = `${PG15_BIN}/psql`;
/** pg_dump of each server's own major, where this machine has it. */
const PG_DUMP = { pg15: `${PG15_BIN}/pg_dump` };

async function loadWithPgpatch(t, url) {
  const r = await runCli(['load', '--dsn', url, 'database.sql'], { cwd: DEMO });
  t.is(r.code, 0, `pgpatch load failed:\n${r.stderr}`);
  t.regex(r.stderr, /pgpatch: loaded \d+ statements from 5 files/);
  t.false(/ERROR|warning/.test(r.stderr), r.stderr);
  return r;
}

async function loadWithPsql(t, url) {
  try {
    await run(PSQL, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', 'database.sql', url], { cwd: DEMO, env: cleanEnv() });
  } catch (e) {
    t.fail(`psql failed: ${e.stderr || e.message}`);
  }
}

/** pg_dump --schema-only, without what differs between two dumps of equal databases. */
async function schemaDump(pgDump, url) {
  const { stdout } = await run(pgDump, ['--schema-only', '--no-sync', url], { env: cleanEnv(), maxBuffer: 64 << 20 });
  return (
    stdout
      .split('\n')
      // \restrict / \unrestrict carry a random key (pg_dump 15.14 and later).
      .filter((l) => !/^\\(un)?restrict /.test(l) && !/^-- Dumped (from|by) /.test(l))
      .join('\n')
  );
}

/**
 * Everything the demo defines in its schemas, as sorted lines of text: names, not OIDs, so two
 * databases can be compared. Works on PostgreSQL 15 to 18.
 */
const CATALOG = `
with nsp as (
  select oid, nspname from pg_namespace where nspname in ('myapp', 'audit', 'public')
)
select line from (
  select format('schema %s owner=%s acl=%s', n.nspname, pg_get_userbyid(n.nspowner), n.nspacl) as line
    from pg_namespace n join nsp using (oid)
  union all
  select format('extension %s schema=%s version=%s', e.extname, e.extnamespace::regnamespace, e.extversion)
    from pg_extension e
  union all
  select format('relation %s.%s kind=%s persistence=%s owner=%s acl=%s options=%s partkey=%s bound=%s ispartition=%s',
                nsp.nspname, c.relname, c.relkind, c.relpersistence, pg_get_userbyid(c.relowner), c.relacl, c.reloptions,
                case when c.relkind = 'p' then pg_get_partkeydef(c.oid) end, pg_get_expr(c.relpartbound, c.oid), c.relispartition)
    from pg_class c join nsp on nsp.oid = c.relnamespace
   where c.relkind <> 'i' and c.relkind <> 'I'
     and not exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype = 'e')
  union all
  select format('column %s.%s.%s #%s type=%s notnull=%s default=%s identity=%s generated=%s collation=%s acl=%s',
                nsp.nspname, c.relname, a.attname, a.attnum, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                pg_get_expr(ad.adbin, ad.adrelid), a.attidentity, a.attgenerated,
                case when a.attcollation <> 0 then a.attcollation::regcollation::text end, a.attacl)
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    join nsp on nsp.oid = c.relnamespace
    left join pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
   where a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p', 'v', 'm', 'f')
     and not exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype = 'e')
  union all
  select format('constraint %s.%s on %s%s: %s deferrable=%s deferred=%s', nsp.nspname, co.conname,
                coalesce(co.conrelid::regclass::text, ''), coalesce(co.contypid::regtype::text, ''),
                pg_get_constraintdef(co.oid), co.condeferrable, co.condeferred)
    from pg_constraint co join nsp on nsp.oid = co.connamespace
    -- PostgreSQL 18 records NOT NULL as constraints; 15 does not: attnotnull covers them.
   where co.contype <> 'n'
  union all
  select format('index %s', pg_get_indexdef(i.indexrelid))
    from pg_index i join pg_class c on c.oid = i.indexrelid join nsp on nsp.oid = c.relnamespace
   where not exists (select 1 from pg_depend d where d.objid = i.indrelid and d.deptype = 'e')
  union all
  select format('function %s owner=%s acl=%s: %s', p.oid::regprocedure, pg_get_userbyid(p.proowner), p.proacl,
                pg_get_functiondef(p.oid))
    from pg_proc p join nsp on nsp.oid = p.pronamespace
   where not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
  union all
  select format('trigger %s enabled=%s', pg_get_triggerdef(tg.oid), tg.tgenabled)
    from pg_trigger tg join pg_class c on c.oid = tg.tgrelid join nsp on nsp.oid = c.relnamespace
   where not tg.tgisinternal
  union all
  select format('view %s.%s: %s', nsp.nspname, c.relname, pg_get_viewdef(c.oid))
    from pg_class c join nsp on nsp.oid = c.relnamespace where c.relkind in ('v', 'm')
  union all
  select format('type %s kind=%s base=%s notnull=%s default=%s collation=%s owner=%s acl=%s', t.oid::regtype, t.typtype,
                case when t.typbasetype <> 0 then format_type(t.typbasetype, t.typtypmod) end, t.typnotnull, t.typdefault,
                case when t.typcollation <> 0 then t.typcollation::regcollation::text end, pg_get_userbyid(t.typowner), t.typacl)
    from pg_type t join nsp on nsp.oid = t.typnamespace
   where t.typtype in ('d', 'e', 'r', 'm') or (t.typtype = 'c' and t.typrelid = 0)
  union all
  select format('collation %s owner=%s: %s', co.oid::regcollation, pg_get_userbyid(co.collowner),
                to_jsonb(co) - 'oid' - 'collnamespace' - 'collowner')
    from pg_collation co join nsp on nsp.oid = co.collnamespace
  union all
  select format('sequence %s owner=%s acl=%s: %s', c.oid::regclass, pg_get_userbyid(c.relowner), c.relacl,
                to_jsonb(s) - 'seqrelid')
    from pg_sequence s join pg_class c on c.oid = s.seqrelid join nsp on nsp.oid = c.relnamespace
  union all
  select format('default acl role=%s schema=%s type=%s: %s', pg_get_userbyid(d.defaclrole),
                coalesce(d.defaclnamespace::regnamespace::text, '-'), d.defaclobjtype, d.defaclacl)
    from pg_default_acl d
  union all
  select format('comment %s: %s', pg_describe_object(ds.classoid, ds.objoid, ds.objsubid), ds.description)
    from pg_description ds
   -- objects created by the script (not the system's, not the extension's)
   where ds.objoid >= 16384
     and not exists (select 1 from pg_depend d where d.objid = ds.objoid and d.deptype = 'e')
) lines
order by line collate "C"`;

async function catalog(url) {
  return (await query(url, CATALOG)).rows.map((r) => r.line);
}

/** The audit design works: the app role's changes are recorded, and it cannot write the log itself. */
async function checkAudit(t, url) {
  await query(
    url,
    `
    set role myapp;
    insert into myapp.myapp_author (name, email) values ('Ann', 'ann@example.org');
    update myapp.myapp_author set name = 'Anne';
    reset role;`,
  );
  const { rows } = await query(url, 'select operation, db_user from audit.log order by id');
  t.deepEqual(rows, [
    { operation: 'INSERT', db_user: 'postgres' },
    { operation: 'UPDATE', db_user: 'postgres' },
  ]);
  const e = await t.throwsAsync(query(url, 'set role myapp; delete from audit.log;'));
  t.is(e.code, '42501');
}

const hasPsql = existsSync(PSQL);

eachServer(test, 'the demo loads through pgpatch and its audit design works', async (t, server) => {
  const db = await freshDatabase(t, server.url, 'pgpatch_demo');
  await loadWithPgpatch(t, db.url);
  // Loaded twice into the same cluster (roles exist now): users.sql tolerates it.
  const again = await freshDatabase(t, server.url, 'pgpatch_demo');
  await loadWithPgpatch(t, again.url);
  await checkAudit(t, db.url);
});

if (!hasPsql) {
  test.skip(`pgpatch builds the same database as psql: skipped, no psql at ${PSQL}`, () => {});
} else {
  eachServer(test, 'pgpatch builds the same database as psql -f from the same files', async (t, server) => {
    const byPgpatch = await freshDatabase(t, server.url, 'pgpatch_demo');
    const byPsql = await freshDatabase(t, server.url, 'psql_demo');
    // One after the other: the first load creates the roles, and both must then see the same ones.
    await loadWithPsql(t, byPsql.url);
    await loadWithPgpatch(t, byPgpatch.url);

    const ours = await catalog(byPgpatch.url);
    const theirs = await catalog(byPsql.url);
    t.true(ours.length > 150, `only ${ours.length} catalog lines: is the query still finding the demo?`);
    for (const expected of [
      'view myapp.myapp_book_summary',
      'function myapp.myapp_author_revenue(bigint)',
      'trigger CREATE TRIGGER myapp_book_audit',
      'collation myapp.case_insensitive',
      'default acl role=postgres schema=myapp',
      'constraint myapp.myapp_room_booking_no_overlap_ex',
    ]) {
      t.true(
        ours.some((l) => l.startsWith(expected)),
        `no catalog line starts with "${expected}"`,
      );
    }
    t.deepEqual(ours, theirs);

    const pgDump = PG_DUMP[server.label];
    if (pgDump && existsSync(pgDump)) {
      const [a, b] = [await schemaDump(pgDump, byPgpatch.url), await schemaDump(pgDump, byPsql.url)];
      t.true(a.includes('CREATE VIEW myapp.myapp_book_summary'));
      t.is(a, b);
    } else {
      t.log(`no pg_dump for ${server.label} on this machine: compared the catalogs only`);
    }
  });
}
