/**
 * `testdb`: keeps a template database equal to the schema files plus the patches, for test
 * databases cloned from it (`CREATE DATABASE test_x TEMPLATE myapp_template`, which Django's
 * `TEST = {'TEMPLATE': ...}` does): a clone takes a fraction of a second where building takes
 * seconds. The template is rebuilt only when its fingerprint (fingerprint.ts), stored in its
 * comment, differs from what the files would build now.
 *
 * How it stays safe:
 * - A rebuild happens in a database of its own (`pgpatch_testdb_<10 hex of the name>_new_<hex>`),
 *   built as migrate's first run builds an empty database (scratch/build.ts applyPatches: the
 *   schema files, the patches recorded as assumed), then swapped
 *   in by two renames in one transaction: a run killed before it leaves the old template, one
 *   killed after it leaves the old one under another name; the next rebuild drops what is left.
 * - One run at a time per template: a session advisory lock on the maintenance database,
 *   polled (never waited for in pg_advisory_lock), given up after `waitMs`. A run that waited
 *   reads the template again: the other run usually built what it needs.
 * - A clone in progress holds the template's lock, so the renames wait for it; sessions connected
 *   to the template (which would make the renames fail) are waited for, and named.
 * - A database of the template's name that testdb did not make (no fingerprint in its comment)
 *   is never replaced.
 * - In the template, every role that may DELETE from a table may also TRUNCATE it: Django's
 *   flush (TransactionTestCase) truncates the tables, as the role the tests run as.
 * Nothing here connects to the template itself but the build: a connected session would make
 * every clone fail ("source database is being accessed by other users").
 */
import { createHash, randomBytes } from 'node:crypto';
import { NotATemplateError, TemplateBusyError, UsageError, type LockHolder } from '../../errors';
import { quoteIdent, quoteLiteral } from '../../quote';
import { onDatabase, type Target } from '../../target';
import { connect, isServerError, withSession, type Session } from '../db';
import { applyPatches } from '../scratch/build';
import { findPatches } from '../patches/files';
import { scriptContext } from '../script/context';
import type { ScriptEvent } from '../script/execute';
import { fingerprint, type Fingerprint } from './fingerprint';

export interface TestdbOptions {
  /** The template database: the one it names, created when missing. */
  target: Target;
  /** Another name for the template, on the target's server (the target's own database is then only the way there). */
  templateName?: string;
  entry: string;
  patchesDir: string;
  recordSchema?: string;
  variables?: Record<string, string>;
  /** How long to wait for another testdb run on the same template, and for sessions connected to it, ms. */
  waitMs?: number;
  /** Rebuild although nothing changed. */
  rebuild?: boolean;
  onEvent?: (e: TestdbEvent) => void;
}

export type TestdbEvent =
  | { type: 'building'; template: string; database: string; changed: Change[]; where: string }
  | { type: 'lock-wait'; template: string; holders: LockHolder[] }
  | { type: 'sessions-wait'; template: string; sessions: LockHolder[] }
  | { type: 'dropped'; databases: string[] }
  | ScriptEvent;

/** Why a template is (re)built: none there, what went in changed, or --rebuild. */
export type Change = 'missing' | 'schema' | 'patches' | 'server' | 'pgpatch' | 'rebuild';

/** What the template's comment holds, after MARKER: its fingerprint, and when it was built. */
interface Stored extends Fingerprint {
  built: string;
}

export interface TestdbResult {
  template: string;
  /** Where it is (password masked). */
  display: string;
  state: 'current' | 'built' | 'rebuilt';
  /** Empty when current. */
  changed: Change[];
  /** What the template was built from before, when it was rebuilt or is current. */
  previous?: { server: number; pgpatch: string; built: string };
  hash: string;
  /** When the template (as it is now) was built, ISO 8601. */
  built: string;
  statements: number;
  patches: number;
  /** server_version_num. */
  server: number;
  /** How long the build took, when there was one. */
  buildMs?: number;
  /** Databases left by runs that were killed, dropped by this one. */
  dropped: string[];
}

/** The comment of a template testdb made starts with this. */
const MARKER = 'pgpatch testdb ';
/** Advisory lock keys: "pgtb" and the template name's hashtext. */
const LOCK_KEY = 0x70677462;

export async function testdb(options: TestdbOptions): Promise<TestdbResult> {
  const name = options.templateName ?? options.target.info.dbname ?? options.target.info.user ?? '';
  if (['postgres', 'template0', 'template1', ''].includes(name))
    throw new UsageError(`${name || 'no database'} cannot be a testdb template`, {
      hint: 'name a database of its own for it: --dsn postgresql://host/myapp_template',
    });
  const template = onDatabase(options.target, name, options.target.source);
  const emit = options.onEvent ?? (() => undefined);
  const admin = await maintenanceSession(options.target);
  try {
    const facts = await readFacts(admin, name);
    const context = await scriptContext(admin, options.variables);
    const print = fingerprint({
      entry: options.entry,
      patches: findPatches(options.patchesDir),
      recordSchema: options.recordSchema ?? 'public',
      variables: { ...context.variables, DBNAME: name },
      standardConformingStrings: context.standardConformingStrings,
      server: facts.server,
    });
    const base: Base = { template: name, display: template.display, hash: print.hash, server: facts.server, dropped: [] };
    let state = facts.template;
    if (state && !state.stored) throw new NotATemplateError(name);
    if (state && !options.rebuild && !facts.leftovers && changes(state.stored, print).length === 0) return current(base, state.stored!);
    await lock(admin, name, options.waitMs ?? 300_000, emit);
    state = (await readFacts(admin, name)).template;
    if (state && !state.stored) throw new NotATemplateError(name);
    const dropped = await dropLeftovers(admin, name, facts.server);
    if (dropped.length) emit({ type: 'dropped', databases: dropped });
    const changed = state ? (options.rebuild ? ['rebuild' as const] : changes(state.stored, print)) : ['missing' as const];
    if (changed.length === 0) return { ...current(base, state!.stored!), dropped };
    const started = Date.now();
    const building = `${prefixOf(name)}new_${randomBytes(4).toString('hex')}`;
    emit({ type: 'building', template: name, database: building, changed, where: template.display });
    await build(admin, options, onDatabase(options.target, building, 'testdb build'), facts.server, emit);
    const stored = storedOf(print);
    await swap(admin, name, building, state ? `${prefixOf(name)}old_${randomBytes(4).toString('hex')}` : undefined, stored, {
      waitMs: options.waitMs ?? 300_000,
      server: facts.server,
      emit,
    });
    return {
      ...base,
      state: state ? 'rebuilt' : 'built',
      changed,
      previous: state?.stored ? previousOf(state.stored) : undefined,
      built: stored.built,
      statements: print.statements,
      patches: print.patchCount,
      buildMs: Date.now() - started,
      dropped,
    };
  } finally {
    await admin.end();
  }
}

type Base = Pick<TestdbResult, 'template' | 'display' | 'hash' | 'server' | 'dropped'>;

function current(base: Base, stored: Stored): TestdbResult {
  return {
    ...base,
    state: 'current',
    changed: [],
    previous: previousOf(stored),
    built: stored.built,
    statements: stored.statements,
    patches: stored.patchCount,
  };
}

function previousOf(s: Stored): TestdbResult['previous'] {
  return { server: s.server, pgpatch: s.pgpatch, built: s.built };
}

/** What the template's comment keeps of a fingerprint, and when it was built. */
function storedOf(f: Fingerprint): Stored {
  return {
    hash: f.hash,
    schema: f.schema,
    patches: f.patches,
    server: f.server,
    pgpatch: f.pgpatch,
    recipe: f.recipe,
    statements: f.statements,
    patchCount: f.patchCount,
    built: new Date().toISOString(),
  };
}

/** What differs between the stored fingerprint and the one of now. */
function changes(stored: Stored | undefined, now: Fingerprint): Change[] {
  if (!stored) return [];
  const out: Change[] = [];
  if (stored.server !== now.server) out.push('server');
  if (stored.pgpatch !== now.pgpatch || stored.recipe !== now.recipe) out.push('pgpatch');
  if (stored.schema !== now.schema) out.push('schema');
  if (stored.patches !== now.patches) out.push('patches');
  // The parts agree but the whole does not: a comment edited by hand.
  if (out.length === 0 && stored.hash !== now.hash) out.push('schema');
  return out;
}

/**
 * A session on the server's maintenance database (`postgres`, else `template1`, as Django's
 * test runner does): never on the template, whose clones a session there would block.
 */
async function maintenanceSession(target: Target): Promise<Session> {
  try {
    return await connect(onDatabase(target, 'postgres', target.source));
  } catch (e) {
    const missing = (e as { cause?: { code?: string } }).cause?.code === '3D000' || (e as { code?: string }).code === '3D000';
    if (!missing) throw e;
    return connect(onDatabase(target, 'template1', target.source));
  }
}

interface Facts {
  server: number;
  /** The template as it is: absent when there is none; `stored` absent when its comment is not testdb's. */
  template?: { oid: number; stored?: Stored };
  /** Databases of earlier builds of this template are there (a killed run's). */
  leftovers: boolean;
}

/** One round trip: the server's version, the template's comment, and whether builds were left behind. */
async function readFacts(admin: Session, name: string): Promise<Facts> {
  const r = await admin.query<{ server: number; oid: number | null; comment: string | null; leftovers: boolean }>(
    `select current_setting('server_version_num')::int as server, d.oid::int as oid, shobj_description(d.oid, 'pg_database') as comment,
            exists (select from pg_database l where starts_with(l.datname, $2)) as leftovers
       from (select) s left join pg_database d on d.datname = $1`,
    [name, prefixOf(name)],
  );
  const row = r.rows[0];
  const template = row.oid === null ? undefined : { oid: row.oid, stored: parseStored(row.comment) };
  return { server: row.server, template, leftovers: row.leftovers };
}

function parseStored(comment: string | null): Stored | undefined {
  if (!comment?.startsWith(MARKER)) return undefined;
  try {
    return JSON.parse(comment.slice(MARKER.length)) as Stored;
  } catch {
    return undefined;
  }
}

/** The names of the databases a template is built in and kept in until dropped: `pgpatch_testdb_<10 hex of its name>_`. */
function prefixOf(name: string): string {
  return `pgpatch_testdb_${createHash('sha256').update(name).digest('hex').slice(0, 10)}_`;
}

async function lock(admin: Session, name: string, waitMs: number, emit: (e: TestdbEvent) => void): Promise<void> {
  const started = Date.now();
  const tryLock = async () =>
    (await admin.query<{ ok: boolean }>('select pg_try_advisory_lock($1, hashtext($2)) as ok', [LOCK_KEY, name])).rows[0].ok;
  if (await tryLock()) return;
  emit({ type: 'lock-wait', template: name, holders: await lockHolders(admin, name) });
  while (Date.now() - started < waitMs) {
    await new Promise((r) => setTimeout(r, 200));
    if (await tryLock()) return;
  }
  throw new TemplateBusyError(name, 'run', await lockHolders(admin, name), Date.now() - started);
}

const HOLDER_COLUMNS = `a.pid, coalesce(a.application_name, '') as "applicationName", coalesce(a.usename::text, '') as "user",
  host(a.client_addr) as "clientAddr", a.backend_start::text as "backendStart", a.state`;

async function lockHolders(admin: Session, name: string): Promise<LockHolder[]> {
  const r = await admin.query<LockHolder>(
    `select ${HOLDER_COLUMNS} from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.granted and l.classid = $1::int::oid and l.objid = hashtext($2)::oid and l.objsubid = 2
        and l.database = (select oid from pg_database where datname = current_database())`,
    [LOCK_KEY, name],
  );
  return r.rows;
}

/** Drops the databases of earlier builds of this template (under the lock: no run builds them any more). */
async function dropLeftovers(admin: Session, name: string, server: number): Promise<string[]> {
  const r = await admin.query<{ datname: string }>('select datname from pg_database where starts_with(datname, $1) order by 1', [
    prefixOf(name),
  ]);
  for (const { datname } of r.rows) await dropDatabase(admin, datname, server);
  return r.rows.map((x) => x.datname);
}

async function dropDatabase(admin: Session, name: string, server: number): Promise<void> {
  await admin.query(`alter database ${quoteIdent(name)} is_template false`).catch(() => undefined);
  await admin.query(`drop database if exists ${quoteIdent(name)}${server >= 130000 ? ' with (force)' : ''}`);
}

/**
 * Builds the new template in `db` as migrate's first run builds an empty database (the schema
 * files, every patch recorded as assumed), then gives TRUNCATE to every role that may DELETE:
 * dropped again when the build fails.
 */
async function build(admin: Session, options: TestdbOptions, db: Target, server: number, emit: (e: TestdbEvent) => void): Promise<void> {
  try {
    await admin.query(`create database ${quoteIdent(db.info.dbname!)}`);
  } catch (e) {
    if (isServerError(e) && e.code === '42501') {
      const who = (await admin.query<{ u: string }>('select current_user as u')).rows[0].u;
      throw new UsageError(`role ${who} may not create databases: testdb builds the template in a new database`, {
        hint: `run testdb as the role that owns the schema's objects, with CREATEDB (alter role ${quoteIdent(who)} createdb; on dev and CI servers), or as a superuser`,
        cause: e,
      });
    }
    throw e;
  }
  try {
    // On an empty database, migrate's first run: the schema files, every patch recorded as assumed.
    await applyPatches(db, { ...options, onEvent: emit }, `the template (in ${db.info.dbname})`);
    await withSession(db, (s) => s.query(TRUNCATE_WHERE_DELETE));
  } catch (e) {
    await dropDatabase(admin, db.info.dbname!, server).catch(() => undefined);
    throw e;
  }
}

/**
 * TRUNCATE for every grantee of DELETE on a table (Django's flush truncates what the tests may
 * delete from), granted where the role building may grant it (a member of the table's owner).
 * A test that checks a role cannot truncate a table it may delete from would pass here wrongly.
 */
const TRUNCATE_WHERE_DELETE = `do $pgpatch$
declare r record;
begin
  for r in
    select c.oid::regclass as rel, case when a.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(a.grantee)) end as who
      from pg_class c join pg_namespace n on n.oid = c.relnamespace cross join lateral aclexplode(c.relacl) a
     where c.relkind in ('r', 'p') and a.privilege_type = 'DELETE' and pg_has_role(c.relowner, 'MEMBER')
       and n.nspname not in ('pg_catalog', 'information_schema')
       and not exists (select from aclexplode(c.relacl) b where b.grantee = a.grantee and b.privilege_type = 'TRUNCATE')
  loop
    execute format('grant truncate on table %s to %s', r.rel, r.who);
  end loop;
end $pgpatch$`;

/**
 * The new template takes the name: the old one (if any) renamed away and the new one renamed in,
 * in one transaction, then the old one dropped. Renaming needs nobody connected to either
 * database: sessions on the old template are waited for (up to waitMs, then TemplateBusyError);
 * a clone in progress holds the template's lock, which the rename waits for.
 */
async function swap(
  admin: Session,
  name: string,
  building: string,
  old: string | undefined,
  stored: Stored,
  o: { waitMs: number; server: number; emit: (e: TestdbEvent) => void },
): Promise<void> {
  const started = Date.now();
  const q = quoteIdent;
  let told = false;
  for (;;) {
    const sessions = old ? await connected(admin, name) : [];
    if (sessions.length === 0) {
      try {
        await admin.query('begin');
        if (old) await admin.query(`alter database ${q(name)} is_template false; alter database ${q(name)} rename to ${q(old)}`);
        await admin.query(
          `alter database ${q(building)} rename to ${q(name)}; alter database ${q(name)} is_template true;
           comment on database ${q(name)} is ${quoteLiteral(MARKER + JSON.stringify(stored))}`,
        );
        await admin.query('commit');
        break;
      } catch (e) {
        await admin.query('rollback').catch(() => undefined);
        // 55006 object_in_use: a session connected between the look and the rename.
        if (!(isServerError(e) && e.code === '55006')) throw e;
      }
    } else if (!told) {
      o.emit({ type: 'sessions-wait', template: name, sessions });
      told = true;
    }
    if (Date.now() - started > o.waitMs) throw new TemplateBusyError(name, 'sessions', await connected(admin, name), Date.now() - started);
    await new Promise((r) => setTimeout(r, 200));
  }
  if (old) await dropDatabase(admin, old, o.server);
}

async function connected(admin: Session, name: string): Promise<LockHolder[]> {
  const r = await admin.query<LockHolder>(`select ${HOLDER_COLUMNS} from pg_stat_activity a where a.datname = $1`, [name]);
  return r.rows;
}
