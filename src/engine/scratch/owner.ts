/**
 * Schema files compared with a live database are read as if loaded by the role that owns most
 * of the live database's objects (adopt's mainOwnerOf): the README tells people to load them as
 * that role, and adopt writes an owner only where it differs from it. What the files give no
 * owner then belongs to that role, as in the live database, and so do their ALTER DEFAULT
 * PRIVILEGES without FOR ROLE; owners the files name stay as written.
 *
 * How: the files are loaded by a role of pgpatch's own, `pgpatch_loader` (NOLOGIN: nobody
 * connects as it; SUPERUSER: the files may do whatever the scratch server's superuser could,
 * and only superusers may take the role on, who may do everything already), made on the scratch
 * server when missing; the loading session takes it on from its start (`options=-c role=...`).
 * Everything that role then owns or holds is renamed to the live database's owner in the model
 * read back. The owner itself need not exist on the scratch server, nor have any right there.
 * Without a superuser on the scratch server, the files are loaded by the scratch server's own
 * role, as before, and owners may differ.
 */
import { quoteIdent } from '../../quote';
import { targetOf, type Target } from '../../target';
import type { SchemaModel } from '../schema/inspect/model';
import { withSession } from '../db';

export const LOADER = 'pgpatch_loader';

/** Who loads the files on `server` and whose they become: undefined when the server's own role is the owner, or cannot do it. */
export interface Loading {
  role: string;
  owner: string;
}

export async function loadingFor(server: Target, owner: string | undefined): Promise<Loading | undefined> {
  if (!owner) return undefined;
  return withSession(server, async (s) => {
    const me = (await s.query('select current_user as name, rolsuper as super from pg_roles where rolname = current_user')).rows[0];
    if (me.name === owner || !me.super) return undefined;
    // Two loads at once may both create it.
    await s.query(`create role ${quoteIdent(LOADER)} nologin superuser`).catch((e: { code?: string }) => {
      if (e.code !== '42710' && e.code !== '23505') throw e;
    });
    return { role: LOADER, owner };
  });
}

/** `db`, with sessions that take on the loading role from their start (none: `db` itself). */
export function loadingTarget(db: Target, loading: Loading | undefined): Target {
  if (!loading) return db;
  // libpq's options: a space or a backslash in a value is escaped with a backslash.
  const option = `-c role=${loading.role.replace(/[\\ ]/g, (c) => `\\${c}`)}`;
  return targetOf({ ...db.info, options: db.info.options ? `${db.info.options} ${option}` : option }, db.source);
}

/** The model with the loading role's name replaced by the owner's wherever a role is named (owners, grantees, default privileges, policies). */
export function asLoadedByOwner(model: SchemaModel, loading: Loading | undefined): SchemaModel {
  if (!loading) return model;
  const { role, owner } = loading;
  const rename = (v: unknown): unknown => {
    if (v === role) return owner;
    if (Array.isArray(v)) return v.map(rename);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k === role ? owner : k, rename(x)]));
    return v;
  };
  const renamed = rename(model) as SchemaModel;
  // Default privileges are keyed by their role: `for role pgpatch_loader in schema app on tables`.
  const prefix = `for role ${quoteIdent(role)} `;
  renamed.defaultPrivileges = Object.fromEntries(
    Object.entries(renamed.defaultPrivileges).map(([k, d]) => [
      k.startsWith(prefix) ? `for role ${quoteIdent(owner)} ${k.slice(prefix.length)}` : k,
      d,
    ]),
  );
  return renamed;
}
