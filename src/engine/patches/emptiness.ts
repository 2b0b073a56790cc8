/**
 * Whether a database has objects of its own. On a first run an empty database is built from
 * the schema files; a non-empty one is only baselined after the user says so, and `load`
 * refuses one unless told --force.
 * Objects that belong to extensions, and the empty `public` schema, do not count.
 */
import type { Session } from '../db';
import { RECORD_TABLE } from './recorder';

const SYSTEM = `n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp_|toast_temp_)'`;
const NOT_EXTENSION = (catalog: string, oid: string) =>
  `not exists (select 1 from pg_depend d where d.classid = '${catalog}'::regclass and d.objid = ${oid} and d.deptype = 'e')`;

/** What a database holds of its own: counts by kind, and up to five names to show. */
export interface DatabaseContents {
  schemas: number;
  relations: number;
  functions: number;
  types: number;
  /** `schema.name` of a few of its tables and views (tables first; not the record), to name in a message. */
  examples: string[];
}

export async function databaseContents(session: Session): Promise<DatabaseContents> {
  const r = await session.query<{ schemas: number; relations: number; functions: number; types: number; examples: string[] }>(`
    select (select count(*) from pg_namespace n where ${SYSTEM} and n.nspname <> 'public'
              and ${NOT_EXTENSION('pg_namespace', 'n.oid')})::int as schemas,
           (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where ${SYSTEM} and ${NOT_EXTENSION('pg_class', 'c.oid')})::int as relations,
           (select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
             where ${SYSTEM} and ${NOT_EXTENSION('pg_proc', 'p.oid')})::int as functions,
           (select count(*) from pg_type t join pg_namespace n on n.oid = t.typnamespace
             where ${SYSTEM} and t.typtype in ('d', 'e', 'r', 'm') and ${NOT_EXTENSION('pg_type', 't.oid')})::int as types,
           array(select format('%I.%I', n.nspname, c.relname) from pg_class c join pg_namespace n on n.oid = c.relnamespace
                  where ${SYSTEM} and c.relkind in ('r', 'p', 'v', 'm', 'f') and c.relname <> '${RECORD_TABLE}'
                    and ${NOT_EXTENSION('pg_class', 'c.oid')}
                  order by c.relkind in ('r', 'p') desc, 1 limit 5) as examples`);
  const { schemas, relations, functions, types, examples } = r.rows[0];
  return { schemas, relations, functions, types, examples };
}

export function isEmpty(contents: DatabaseContents): boolean {
  return contents.schemas + contents.relations + contents.functions + contents.types === 0;
}

export async function isEmptyDatabase(session: Session): Promise<boolean> {
  return isEmpty(await databaseContents(session));
}

/**
 * Whether a schema holds objects of its own (a tenant's, in a schema-per-tenant database): its
 * tables, views, sequences, indexes, functions and types, not those of extensions. Asked, as
 * isEmptyDatabase, only of a schema without a record. The rest of the database does not count:
 * the other tenants and the shared schema are there.
 */
export async function isEmptySchema(session: Session, schema: string): Promise<boolean> {
  const r = await session.query<{ n: number }>(
    `select ((select count(*) from pg_class c where c.relnamespace = n.oid and ${NOT_EXTENSION('pg_class', 'c.oid')})
          + (select count(*) from pg_proc p where p.pronamespace = n.oid and ${NOT_EXTENSION('pg_proc', 'p.oid')})
          + (select count(*) from pg_type t where t.typnamespace = n.oid and t.typtype in ('d', 'e', 'r', 'm')
               and ${NOT_EXTENSION('pg_type', 't.oid')}))::int as n
       from pg_namespace n where n.nspname = $1`,
    [schema],
  );
  return (r.rows[0]?.n ?? 0) === 0;
}
