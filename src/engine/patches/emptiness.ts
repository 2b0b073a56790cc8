/**
 * Whether a database has objects of its own. On a first run an empty database is built from
 * the schema files; a non-empty one is only baselined after the user says so.
 * Objects that belong to extensions, and the empty `public` schema, do not count.
 */
import type { Session } from '../db';

const SYSTEM = `n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp_|toast_temp_)'`;
const NOT_EXTENSION = (catalog: string, oid: string) =>
  `not exists (select 1 from pg_depend d where d.classid = '${catalog}'::regclass and d.objid = ${oid} and d.deptype = 'e')`;

export async function isEmptyDatabase(session: Session): Promise<boolean> {
  const r = await session.query<{ n: number }>(`
    select (select count(*) from pg_namespace n where ${SYSTEM} and n.nspname <> 'public'
              and ${NOT_EXTENSION('pg_namespace', 'n.oid')})
         + (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where ${SYSTEM} and ${NOT_EXTENSION('pg_class', 'c.oid')})
         + (select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
             where ${SYSTEM} and ${NOT_EXTENSION('pg_proc', 'p.oid')})
         + (select count(*) from pg_type t join pg_namespace n on n.oid = t.typnamespace
             where ${SYSTEM} and t.typtype in ('d', 'e', 'r', 'm') and ${NOT_EXTENSION('pg_type', 't.oid')})
         as n`);
  return Number(r.rows[0].n) === 0;
}
