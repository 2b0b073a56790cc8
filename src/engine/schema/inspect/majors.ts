/**
 * Two models read from servers of different majors differ where only the version does: the
 * same schema files loaded on PostgreSQL 15 and on 18 read back differently. compareModels
 * leaves that out, so that a scratch server of another major than the live database's reports
 * the real differences only. What is left out, as measured with the demo schema and
 * test/check/live.test.mjs on 15 and 18:
 *
 * - MAINTAIN (PostgreSQL 17+), in privileges, when the other server is older: an owner's
 *   default privileges, GRANT ALL and default privileges all include it there.
 * - The identity a partition's column shows from 17 on (the parent's; it has no sequence of its
 *   own), when the other server is older: there, the partition's column is no identity.
 * - Extension versions: CREATE EXTENSION without VERSION installs the server's default, which
 *   changes with the major. Limit: a version pinned by the schema files that differs is left
 *   out too.
 * - Qualified column names in a view's definition (`orders.customer_id` on 15,
 *   `customer_id` on 16+): definitions are compared without the qualifiers. Limit: a view that
 *   differs only by which table a column is taken from is not seen.
 * - The public schema's owner as each version makes it (14: the bootstrap superuser; 15+:
 *   pg_database_owner), and the CREATE that PostgreSQL 14 gives PUBLIC on it. Limit: a CREATE
 *   the files revoke and a PostgreSQL 14 database still has is not seen.
 *
 * Limits: only what the tests have shown. Comparing on a scratch server of the live database's
 * major (README, "The embedded server") leaves nothing to normalise.
 */
import type { Grants, SchemaModel, Table, View } from './model';

export function majorOf(model: SchemaModel): number {
  return Math.floor(model.serverVersion / 10000);
}

/** The two models as if read from servers of one major (copies; the same models when the majors are equal). */
export function acrossMajors(expected: SchemaModel, actual: SchemaModel): [SchemaModel, SchemaModel] {
  const [me, ma] = [majorOf(expected), majorOf(actual)];
  if (me === ma) return [expected, actual];
  const e = structuredClone(expected);
  const a = structuredClone(actual);
  const [older, newer] = me < ma ? [e, a] : [a, e];
  const crossed = (major: number) => majorOf(older) < major && majorOf(newer) >= major;
  if (crossed(17)) {
    withoutMaintain(newer);
    for (const t of Object.values(newer.tables))
      if (t.partitionOf) for (const c of Object.values(t.columns)) if (c.identity && c.identity.start === undefined) delete c.identity;
  }
  for (const [name, x] of Object.entries(e.extensions)) if (a.extensions[name]) a.extensions[name].version = x.version;
  for (const m of [e, a]) for (const v of Object.values(m.views)) v.definition = unqualified(v.definition);
  if (crossed(15)) publicAcross15(older, newer);
  return [e, a];
}

function withoutMaintain(model: SchemaModel): void {
  const strip = (grants: Grants | undefined) => {
    if (!grants) return;
    for (const [grantee, privileges] of Object.entries(grants)) {
      const kept = privileges.filter((p) => !p.startsWith('MAINTAIN'));
      if (kept.length) grants[grantee] = kept;
      else delete grants[grantee];
    }
  };
  const relations: Array<Table | View> = [...Object.values(model.tables), ...Object.values(model.views)];
  for (const r of relations) strip(r.grants);
  for (const d of Object.values(model.defaultPrivileges)) if (d.objectType === 'tables') strip(d.grants);
}

/** `orders.customer_id` → `customer_id`, outside strings; a quoted qualifier too. Numbers (`1.5`) are left. */
function unqualified(definition: string): string {
  return definition.replace(/('(?:[^']|'')*')|(?<![\w."])(?:[a-z_][\w$]*|"(?:[^"]|"")+")\.(?=[a-z_"])/gi, (m, str) => str ?? '');
}

/**
 * The public schema across 15: before, the bootstrap superuser owns it and PUBLIC may CREATE in
 * it; from 15, pg_database_owner owns it and PUBLIC may only use it. When the newer side's is
 * pg_database_owner's, the older side's owner (and the owner's privileges) are read as
 * pg_database_owner's, and a CREATE for PUBLIC that only the older side has is left out: the
 * schema files cannot say whether they revoked it (a revoke changes nothing from 15 on).
 */
function publicAcross15(older: SchemaModel, newer: SchemaModel): void {
  const o = older.schemas.public;
  const n = newer.schemas.public;
  if (!o || !n || n.owner !== 'pg_database_owner' || o.owner === n.owner) return;
  const { [o.owner]: own, ...grants } = o.grants;
  if (own) grants[n.owner] = own;
  if (grants.PUBLIC?.includes('CREATE') && !n.grants.PUBLIC?.includes('CREATE')) {
    grants.PUBLIC = grants.PUBLIC.filter((p) => p !== 'CREATE');
    if (!grants.PUBLIC.length) delete grants.PUBLIC;
  }
  older.schemas.public = { ...o, owner: n.owner, grants };
}
