/**
 * The `schema_patch` table: which patches a database has, and how they got there.
 * Compatible with the reference's patch script: its table (name, status, stage, status_date,
 * with or without stage) is upgraded in place by adding the columns it lacks.
 */
import { withSession, type Session } from '../db';
import { RecordPermissionError } from '../../errors';
import type { Target } from '../../target';
import { quoteIdent, quoteIdentAlways, quoteLiteral } from '../../quote';

export type PatchStatus = 'applying' | 'applied' | 'skipped' | 'failed' | 'assumed';
export type PatchStage = 'pre' | 'patch' | 'post';

/**
 * What pgpatch reads back of a patch's row: what showmigrations and migrate decide on. The
 * other columns (duration_ms, applied_by, application_name) are for people reading the table;
 * each column read costs ~5 ms on 10,000 rows.
 */
export interface RecordRow {
  name: string;
  status: PatchStatus;
  stage: PatchStage | null;
  /** When the status was set, in milliseconds since the epoch. */
  statusDate: number;
  /** sha256 of the patch file when it was applied; null for rows written by older tools. */
  checksum: string | null;
  /** The error of a failed patch, for showmigrations. */
  error: string | null;
  /** Read only when asked for (showmigrations --verbose). */
  details?: RecordDetails;
}

export interface RecordDetails {
  appliedBy: string | null;
  applicationName: string | null;
  durationMs: number | null;
}

export const RECORD_TABLE = 'schema_patch';

/**
 * The row of a first-run build that cannot run in one transaction, written before it starts and
 * removed when the patches are recorded as assumed: a build killed half-way leaves it, so the
 * half-built database is visible (and refused) instead of looking like one without a record.
 * A patch name cannot contain '/', so it cannot collide with one.
 */
export const BUILD_ROW = 'pgpatch/first-run build';

export function recordTable(schema: string): string {
  // Always in quotes, as it has always been written: messages name it so.
  return `${quoteIdentAlways(schema)}.${quoteIdentAlways(RECORD_TABLE)}`;
}

const COLUMNS: Array<[string, string]> = [
  ['stage', `text check (stage in ('pre', 'patch', 'post'))`],
  ['checksum', 'text'],
  ['duration_ms', 'integer'],
  ['applied_by', 'text default session_user'],
  ['application_name', `text default current_setting('application_name')`],
  ['error', 'text'],
  // Who the patch ran as (current_user when its row was written): a patch may SET ROLE.
  ['ran_as', 'text'],
  // When --accept-checksum last recorded an edit on purpose (status_date stays when it was applied).
  ['checksum_accepted_at', 'timestamptz'],
];

export async function recordExists(session: Session, schema: string): Promise<boolean> {
  const r = await session.query('select to_regclass($1) is not null as ok', [recordTable(schema)]);
  return r.rows[0].ok as boolean;
}

/**
 * Creates the record (and its schema) or upgrades an older one. Safe when several runs do it
 * at once: a transaction-level advisory lock serialises them, because `create table if not
 * exists` alone still fails with a unique violation when two sessions race.
 */
/** The record table's columns; none when there is no table (to_regclass gives null): one round trip says both. */
export async function recordColumns(session: Session, schema: string): Promise<Set<string>> {
  const rows = await session.rows(`select attname from pg_attribute where attrelid = to_regclass($1) and attnum > 0 and not attisdropped`, [
    recordTable(schema),
  ]);
  return new Set(rows.map((r) => r[0] as string));
}

/**
 * `columns`: what recordColumns said, when the caller has asked already. Every run calls this:
 * a table with all its columns is seen without the transaction and the lock below (five round
 * trips, which a distant server makes slow).
 */
export async function ensureRecord(session: Session, schema: string, columns?: Set<string>): Promise<'created' | 'upgraded' | 'present'> {
  const table = recordTable(schema);
  const existing = columns ?? (await recordColumns(session, schema));
  if (['name', 'status', 'status_date'].every((c) => existing.has(c)) && COLUMNS.every(([column]) => existing.has(column)))
    return 'present';
  const inTx = session.transactionStatus() !== 'I';
  if (!inTx) await session.query('begin');
  try {
    await session.query(`select pg_advisory_xact_lock(hashtext('pgpatch record ' || $1))`, [schema]);
    const exists = await recordExists(session, schema);
    let outcome: 'created' | 'upgraded' | 'present' = 'present';
    if (!exists) {
      const newSchema = (await session.query('select to_regnamespace($1) is null as new', [quoteIdent(schema)])).rows[0].new as boolean;
      await session.query(`create schema if not exists ${quoteIdent(schema)}`);
      await session.query(`create table ${table} (
        name text primary key,
        status text not null check (status in ('applying', 'applied', 'skipped', 'failed', 'assumed')),
        status_date timestamptz not null default now()
      )`);
      await session.query(`comment on table ${table} is 'Schema patches applied to this database, written by pgpatch'`);
      await handOverToObjectsOwner(session, schema, newSchema);
      outcome = 'created';
    }
    const have = await session.query<{ column_name: string }>(
      `select attname as column_name from pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped`,
      [table],
    );
    const present = new Set(have.rows.map((r) => r.column_name));
    for (const [column, type] of COLUMNS) {
      if (present.has(column)) continue;
      await session.query(`alter table ${table} add column ${quoteIdent(column)} ${type}`);
      if (outcome === 'present') outcome = 'upgraded';
    }
    if (!inTx) await session.query('commit');
    return outcome;
  } catch (e) {
    if (!inTx) await session.query('rollback').catch(() => undefined);
    throw e;
  }
}

/** The record, by patch name; empty when the database has none yet. */
export interface ReadRecordOptions {
  /** Also who applied each patch, from where, and how long it took. */
  details?: boolean;
  /**
   * Called once the record's query is sent, before its answer is awaited: client work done there
   * overlaps the server's (~30 ms to build 10,000 rows). Not called when there is no record.
   */
  whileReading?: () => void;
  /** What recordColumns said, when the caller has asked already (a round trip less). */
  columns?: Set<string>;
}

export async function readRecord(
  session: Session,
  schema: string,
  { details = false, whileReading, columns }: ReadRecordOptions = {},
): Promise<Map<string, RecordRow>> {
  const rows = new Map<string, RecordRow>();
  const table = recordTable(schema);
  const has = columns ?? (await recordColumns(session, schema));
  if (has.size === 0) return rows;
  const text = (c: string) => (has.has(c) ? packed(quoteIdent(c)) : String.raw`E'\\N'`);
  // The same number as the guard's (extract(...) * 1000)::float8 in recordWriteSql: on PostgreSQL
  // 14+ extract gives an exact numeric, whose decimal text Number() rounds as float8 does (both
  // correctly rounded); before 14 it is already a float8, printed exactly (12+). Without the
  // ::float8 the server skips a numeric to float8 to text round per row: ~4 ms of 35 on 10,000.
  const fields = [
    packed('name'),
    packed('status'),
    text('stage'),
    '(extract(epoch from status_date) * 1000)::text',
    text('checksum'),
    text('error'),
  ];
  if (details)
    fields.push(
      text('applied_by'),
      text('application_name'),
      has.has('duration_ms') ? String.raw`coalesce(duration_ms::text, E'\\N')` : String.raw`E'\\N'`,
    );
  // The whole record as one text value, a line per row: pg's work per row (a DataRow, a row
  // object, a string per field) was ~100 ms of client CPU for 10,000 rows, this is ~30 ms.
  const reading = session.rows(`select string_agg(concat_ws(E'\t', ${fields.join(', ')}), E'\n') from ${table}`);
  if (whileReading) {
    try {
      whileReading();
    } catch (e) {
      await reading.catch(() => undefined);
      throw e;
    }
  }
  const r = await reading;
  const all = r[0][0] as string | null;
  if (all === null) return rows;
  // Field by field with indexOf, no array per line or per record: the lines are ~10,000 on a
  // long-lived database, and every showmigrations and migrate reads them all (issue 15).
  let at = 0;
  let end = 0;
  /** The next field of the line that ends at `end`. */
  const f = (): string => {
    let tab = all.indexOf('\t', at);
    if (tab < 0 || tab > end) tab = end;
    const field = all.slice(at, tab);
    at = tab + 1;
    return field;
  };
  while (at <= all.length) {
    end = all.indexOf('\n', at);
    if (end < 0) end = all.length;
    // The reference's script may have kept names with their .sql extension.
    const stored = unpack(f())!;
    const name = stored.endsWith('.sql') ? stored.slice(0, -4) : stored;
    const row: RecordRow = {
      name,
      status: known(unpack(f())) as PatchStatus,
      stage: known(unpack(f())) as PatchStage | null,
      statusDate: Number(f()),
      checksum: unpack(f()),
      error: unpack(f()),
    };
    if (details) {
      const appliedBy = unpack(f());
      const applicationName = unpack(f());
      const duration = unpack(f());
      row.details = { appliedBy, applicationName, durationMs: duration === null ? null : Number(duration) };
    }
    rows.set(name, row);
    at = end + 1;
  }
  return rows;
}

/**
 * A text column as one field of readRecord's lines: backslash, tab and newline escaped, null as
 * \N (which no escaped value can be). E'' strings read the same whatever standard_conforming_strings is.
 */
function packed(column: string): string {
  return String.raw`coalesce(replace(replace(replace(${column}, E'\\', E'\\\\'), E'\t', E'\\t'), E'\n', E'\\n'), E'\\N')`;
}

/** Statuses and stages as the shared literals, not one copy of 'applied' per row. */
function known(value: string | null): string | null {
  switch (value) {
    case 'applied':
      return 'applied';
    case 'assumed':
      return 'assumed';
    case 'patch':
      return 'patch';
    default:
      return value;
  }
}

/** The value of a field made by `packed`. */
function unpack(field: string): string | null {
  if (field === '\\N') return null;
  if (!field.includes('\\')) return field;
  return field.replace(/\\(.)/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c));
}

export interface RecordWrite {
  name: string;
  status: PatchStatus;
  stage?: PatchStage | null;
  checksum?: string | null;
  durationMs?: number | null;
  error?: string | null;
}

/**
 * Inserts or updates one patch's row, in whatever transaction the session is in, whatever it
 * said before. migrate does not use it for the patches it applies (see recordWriteSql, the
 * guarded write); it is for rows written outside a run.
 */
export async function writeRecord(session: Session, schema: string, row: RecordWrite): Promise<void> {
  await session.query(recordUpsertSql(schema), [
    row.name,
    row.status,
    row.stage ?? null,
    row.checksum ?? null,
    row.durationMs ?? null,
    row.error ?? null,
  ]);
}

export function recordUpsertSql(schema: string, values = '$1, $2, $3, $4, $5, $6'): string {
  return `insert into ${recordTable(schema)} as r (name, status, stage, checksum, duration_ms, error, status_date, applied_by, application_name)
          values (${values}, now(), session_user, current_setting('application_name'))
          on conflict (name) do update set status = excluded.status, stage = excluded.stage,
            checksum = coalesce(excluded.checksum, r.checksum), duration_ms = excluded.duration_ms,
            error = excluded.error, status_date = excluded.status_date, applied_by = excluded.applied_by,
            application_name = excluded.application_name`;
}

/** Writes many rows in one statement (the first run records every patch as assumed). */
export async function writeRecords(session: Session, schema: string, rows: RecordWrite[]): Promise<void> {
  if (rows.length === 0) return;
  await session.query(
    `insert into ${recordTable(schema)} as r (name, status, stage, checksum, status_date, applied_by, application_name)
     select n, s, null, c, now(), session_user, current_setting('application_name')
       from unnest($1::text[], $2::text[], $3::text[]) as t(n, s, c)
     on conflict (name) do update set status = excluded.status, checksum = excluded.checksum,
       status_date = excluded.status_date, applied_by = excluded.applied_by, application_name = excluded.application_name`,
    [rows.map((r) => r.name), rows.map((r) => r.status), rows.map((r) => r.checksum ?? null)],
  );
}

/**
 * The row a run expects a patch to have before it writes: `null` when it has none (the write is
 * then a plain INSERT), else its status and stage, and for a row this run did not write itself,
 * its status_date as read (so a row another run rewrote since does not match).
 */
export type ExpectedRow = { status: PatchStatus; stage: PatchStage | null; statusDate?: number } | null;

/** SQLSTATE of the error the guarded update raises when the row is not the one expected. */
export const ROW_CHANGED_SQLSTATE = 'PP002';
const UNIQUE_VIOLATION = '23505';

/** Whether a failed record write means another run recorded the patch first. */
export function isRecordConflict(e: unknown): boolean {
  const code = (e as { code?: string })?.code;
  return code === UNIQUE_VIOLATION || code === ROW_CHANGED_SQLSTATE;
}

/** A value as an SQL literal that reads the same whatever standard_conforming_strings is. */
function lit(v: string | null | undefined): string {
  return v == null ? 'null' : quoteLiteral(v);
}

/**
 * The record write of a patch this run applies, as SQL text (it goes into batches, which have no
 * parameters). The record is the guard against applying a patch twice, whatever happened to the
 * run lock: a patch without a row gets a plain INSERT, so a second run that applies it meanwhile
 * waits on the first one's uncommitted row and then fails on the primary key, its transaction
 * with it; a row that exists is updated only when it is still the row expected, else the
 * statement raises ROW_CHANGED_SQLSTATE. `durationSql` is an SQL expression for duration_ms.
 * ran_as is current_user: who the patch ran as (a patch may SET ROLE), next to applied_by.
 * `applicationName`: the run's own, written as given (a patch may set application_name); the
 * session's setting when absent (rows written outside a patch).
 */
export function recordWriteSql(
  schema: string,
  row: Omit<RecordWrite, 'durationMs'>,
  expected: ExpectedRow,
  durationSql = 'null',
  applicationName?: string,
): string {
  const table = recordTable(schema);
  const app = applicationName === undefined ? `current_setting('application_name')` : lit(applicationName);
  if (expected === null) {
    return `insert into ${table} (name, status, stage, checksum, duration_ms, error, status_date, applied_by, application_name, ran_as)
      values (${lit(row.name)}, ${lit(row.status)}, ${lit(row.stage)}, ${lit(row.checksum)}, ${durationSql}, ${lit(row.error)}, now(), session_user, ${app}, current_user)`;
  }
  return guardedUpdate(
    table,
    row.name,
    expected,
    `status = ${lit(row.status)}, stage = ${lit(row.stage)}, checksum = coalesce(${lit(row.checksum)}, checksum),
    duration_ms = ${durationSql}, error = ${lit(row.error)}, status_date = now(), applied_by = session_user,
    application_name = ${app}, ran_as = current_user`,
  );
}

/**
 * --accept-checksum: the new checksum and when it was accepted, guarded like recordWriteSql
 * (and on the checksum read). The rest of the row (when, by whom and how long the patch was
 * applied) stays as it is.
 */
export function acceptChecksumSql(
  schema: string,
  name: string,
  checksum: string,
  expected: NonNullable<ExpectedRow>,
  oldChecksum: string | null,
): string {
  return guardedUpdate(
    recordTable(schema),
    name,
    expected,
    `checksum = ${lit(checksum)}, checksum_accepted_at = now()`,
    `checksum is not distinct from ${lit(oldChecksum)}`,
  );
}

/** An UPDATE of the row of `name` that raises ROW_CHANGED_SQLSTATE unless it is still the row `expected`. */
function guardedUpdate(table: string, name: string, expected: NonNullable<ExpectedRow>, set: string, extraGuard?: string): string {
  // The reference's script may have kept the name with its .sql extension.
  const guard = [
    `name in (${lit(name)}, ${lit(`${name}.sql`)})`,
    `status = ${lit(expected.status)}`,
    `stage is not distinct from ${lit(expected.stage)}`,
  ];
  if (expected.statusDate !== undefined)
    guard.push(`(extract(epoch from status_date) * 1000)::float8 = ${String(expected.statusDate)}::float8`);
  if (extraGuard) guard.push(extraGuard);
  // A DO block, because an UPDATE that matches no row is no error, and in a batch nobody can look
  // at its row count before the COMMIT that follows it.
  return `do $pgpatch$ begin
  update ${table} set ${set}
   where ${guard.join(' and ')};
  if not found then
    raise exception using errcode = '${ROW_CHANGED_SQLSTATE}', message = ${lit(`the record of patch ${name} is no longer the one this run read: another run changed it`)};
  end if;
end $pgpatch$`;
}

/**
 * A record just created goes to the role that owns most of the database's own relations (those
 * of extensions and the record aside), when that is another role than the one in use: adopt
 * and a baseline are often run as a superuser, while migrate then runs as the schema's owner,
 * which could not read a record the superuser owns. Left as it is when the role in use may not
 * give it away (not a member of that role, or that role may not create in the record's schema),
 * and in an empty database (the objects to come are the role in use's). `newSchema`: the record's
 * schema was created with it, and goes along.
 */
async function handOverToObjectsOwner(session: Session, schema: string, newSchema: boolean): Promise<void> {
  const table = recordTable(schema);
  const r = await session.query<{ owner: string | null; can: boolean }>(
    `with owners as (
       select c.relowner as owner, count(*) as n
         from pg_class c join pg_namespace s on s.oid = c.relnamespace
        where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f') and c.oid <> $1::regclass
          and s.nspname not in ('pg_catalog', 'information_schema') and s.nspname !~ '^pg_(toast|temp_)'
          and not exists (select from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
        group by c.relowner order by n desc, c.relowner limit 1)
     select pg_get_userbyid(o.owner) as owner,
            (select rolsuper from pg_roles where rolname = current_user)
              or (pg_has_role(o.owner, 'MEMBER') and has_schema_privilege(o.owner, $2::regnamespace, 'CREATE')) as can
       from owners o where o.owner <> (select oid from pg_roles where rolname = current_user)`,
    [table, quoteIdent(schema)],
  );
  const owner = r.rows[0];
  if (!owner?.owner || !owner.can) return;
  if (newSchema) await session.query(`alter schema ${quoteIdent(schema)} owner to ${quoteIdent(owner.owner)}`);
  await session.query(`alter table ${table} owner to ${quoteIdent(owner.owner)}`);
}

/** SQLSTATE insufficient_privilege. */
const INSUFFICIENT_PRIVILEGE = '42501';

/** Who owns the record, and who the role in use is, asked on a session of its own. */
async function recordRoles(target: Target, schema: string): Promise<{ owner: string | null; role: string }> {
  return withSession(target, async (s) => {
    const r = await s.query<{ owner: string | null; role: string }>(
      `select (select pg_get_userbyid(relowner) from pg_class where oid = to_regclass($1)) as owner, current_user as role`,
      [recordTable(schema)],
    );
    return r.rows[0];
  });
}

/**
 * The RecordPermissionError for `e`, when it is the server's "permission denied" (or "must be
 * owner") of a query pgpatch sent to its record: callers pass errors of their own queries only
 * (a patch's errors are SqlErrors), so one with that SQLSTATE is about the record or its schema.
 */
export async function recordPermissionError(target: Target, schema: string, e: unknown): Promise<RecordPermissionError | undefined> {
  if ((e as { code?: string })?.code !== INSUFFICIENT_PRIVILEGE || e instanceof Error === false) return undefined;
  const roles = await recordRoles(target, schema).catch(() => undefined);
  if (!roles) return undefined;
  return new RecordPermissionError(`${quoteIdent(schema)}.${RECORD_TABLE}`, roles.owner, roles.role, (e as Error).message, e);
}

/**
 * Refuses, before anything runs, a record the role in use may read but not write: a patch would
 * otherwise run and fail at its record row.
 */
export async function assertRecordWritable(session: Session, target: Target, schema: string): Promise<void> {
  const table = recordTable(schema);
  const r = await session.query<{ ok: boolean }>(
    `select has_table_privilege($1, 'INSERT') and has_table_privilege($1, 'UPDATE') and has_table_privilege($1, 'DELETE') as ok`,
    [table],
  );
  if (r.rows[0].ok) return;
  const roles = await recordRoles(target, schema);
  throw new RecordPermissionError(`${quoteIdent(schema)}.${RECORD_TABLE}`, roles.owner, roles.role, `permission denied to write ${table}`);
}
