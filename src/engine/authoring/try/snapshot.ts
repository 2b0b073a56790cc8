/**
 * What try watches, after eugene's trace mode: the relations that existed before the patch (only
 * those matter: a relation the patch created is invisible to other sessions until it commits),
 * the file behind each (a new relfilenode means the table was rewritten), and the locks the
 * session holds on them after each statement.
 */
import type { Session } from '../../db';

export interface Relation {
  oid: number;
  schema: string;
  name: string;
  /** r table, p partitioned table, m materialized view, i index, S sequence, v view ... */
  kind: string;
  filenode: number;
  /** With its indexes and TOAST. */
  bytes: number;
  /** Its own data alone: 0 for a table without rows. */
  heapBytes: number;
  /** pg_class.reltuples: an estimate; null when never analyzed. */
  rows: number | null;
}

const RELATIONS = `
  select c.oid::int8 as oid, n.nspname as schema, c.relname as name, c.relkind as kind,
         c.relfilenode::int8 as filenode, pg_total_relation_size(c.oid) as bytes, pg_relation_size(c.oid) as heap, c.reltuples::int8 as rows
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'
     and n.nspname not like 'pg_temp%'`;

export async function relations(session: Session): Promise<Map<number, Relation>> {
  const r = await session.query(RELATIONS);
  return new Map(
    r.rows.map((x) => [
      Number(x.oid),
      {
        oid: Number(x.oid),
        schema: x.schema,
        name: x.name,
        kind: x.kind,
        filenode: Number(x.filenode),
        bytes: Number(x.bytes),
        heapBytes: Number(x.heap),
        rows: Number(x.rows) >= 0 && x.kind !== 'i' ? Number(x.rows) : null,
      },
    ]),
  );
}

/** The files of the given relations now (a dropped one is left out). */
export async function filenodes(session: Session, oids: number[]): Promise<Map<number, number>> {
  const r = await session.query('select oid::int8 as oid, relfilenode::int8 as f from pg_class where oid = any($1::oid[])', [oids]);
  return new Map(r.rows.map((x) => [Number(x.oid), Number(x.f)]));
}

/** New indexes (not in `before`) and the table each is on. */
export async function newIndexes(
  session: Session,
  before: Map<number, Relation>,
  seen: Set<number>,
): Promise<Array<{ oid: number; schema: string; name: string; table: number }>> {
  const r = await session.query(
    `
    select i.indexrelid::int8 as oid, n.nspname as schema, c.relname as name, i.indrelid::int8 as table
      from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace
     where not (i.indexrelid::int8 = any($1::int8[]))`,
    [[...before.keys(), ...seen]],
  );
  return r.rows.map((x) => ({ oid: Number(x.oid), schema: x.schema, name: x.name, table: Number(x.table) }));
}

/** The relation locks this session holds now, strongest mode per relation. */
export async function heldLocks(session: Session): Promise<Map<number, LockMode>> {
  const r = await session.query(
    `select relation::int8 as oid, mode from pg_locks where pid = pg_backend_pid() and locktype = 'relation' and granted`,
  );
  const out = new Map<number, LockMode>();
  for (const x of r.rows) {
    const mode = x.mode as LockMode;
    const had = out.get(Number(x.oid));
    if (!had || LOCK_MODES.indexOf(mode) > LOCK_MODES.indexOf(had)) out.set(Number(x.oid), mode);
  }
  return out;
}

/** PostgreSQL's table lock modes, weakest first. */
export const LOCK_MODES = [
  'AccessShareLock',
  'RowShareLock',
  'RowExclusiveLock',
  'ShareUpdateExclusiveLock',
  'ShareLock',
  'ShareRowExclusiveLock',
  'ExclusiveLock',
  'AccessExclusiveLock',
] as const;
export type LockMode = (typeof LOCK_MODES)[number];

/**
 * What other sessions cannot do on the relation while the lock is held, in squawk's words
 * ("blocking: reads, writes, schema changes"): reads wait only for ACCESS EXCLUSIVE; writes
 * (INSERT/UPDATE/DELETE take ROW EXCLUSIVE) wait for SHARE and stronger; schema changes (ACCESS
 * EXCLUSIVE) wait for every mode.
 */
export function blocks(mode: LockMode): Array<'reads' | 'writes' | 'schema changes'> {
  const i = LOCK_MODES.indexOf(mode);
  const out: Array<'reads' | 'writes' | 'schema changes'> = [];
  if (mode === 'AccessExclusiveLock') out.push('reads');
  if (i >= LOCK_MODES.indexOf('ShareLock')) out.push('writes');
  out.push('schema changes');
  return out;
}

/** `ACCESS EXCLUSIVE` for `AccessExclusiveLock`: how the documentation and squawk name it. */
export function lockName(mode: LockMode): string {
  return mode
    .replace(/Lock$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
}
