/** Statements shared by every kind: owner, comment and privileges that changed. */
import type { Grants } from '../inspect/model';

import { role } from '../adopt/sql-pieces';
import { quoteIdent, quoteLiteral } from '../../../quote';

export { same } from '../inspect/compare';

const WGO = ' WITH GRANT OPTION';

/**
 * GRANTs and REVOKEs that turn `from` into `to`, grantee by grantee; the owners' own privileges
 * are left alone (an owner's privileges move with the owner).
 * `target` is what they are on (`table myapp.book`, `function f(integer)`); `column`, for column privileges.
 */
export function grantChanges(from: Grants, to: Grants, owners: string[], target: string, column?: string): string[] {
  const out: string[] = [];
  for (const grantee of [...new Set([...Object.keys(from), ...Object.keys(to)])].sort()) {
    if (owners.includes(grantee)) continue;
    const f = new Set(from[grantee] ?? []);
    const t = new Set(to[grantee] ?? []);
    const plain = (p: string) => p.replace(WGO, '');
    const revoke = [...f].filter((p) => !t.has(p) && !(p.endsWith(WGO) && t.has(plain(p)))).map(plain);
    const dropOption = [...f].filter((p) => p.endsWith(WGO) && t.has(plain(p))).map(plain);
    const grant = [...t].filter((p) => !f.has(p) && !p.endsWith(WGO) && !f.has(p + WGO));
    const grantOption = [...t].filter((p) => p.endsWith(WGO) && !f.has(p)).map(plain);
    const list = (ps: string[]) => `${ps.join(', ').toLowerCase()}${column ? ` (${quoteIdent(column)})` : ''}`;
    if (revoke.length) out.push(`revoke ${list(revoke)} on ${target} from ${role(grantee)};`);
    if (dropOption.length) out.push(`revoke grant option for ${list(dropOption)} on ${target} from ${role(grantee)};`);
    if (grant.length) out.push(`grant ${list(grant)} on ${target} to ${role(grantee)};`);
    if (grantOption.length) out.push(`grant ${list(grantOption)} on ${target} to ${role(grantee)} with grant option;`);
  }
  return out;
}

/** `grant ... on function f(int)`: GRANT's words for a kind of object. */
export function grantsOf(kind: string, key: string, from: Grants, to: Grants, owners: string[]): string[] {
  return grantChanges(from, to, owners, `${kind} ${key}`);
}

export function commentChange(kind: string, key: string, from: string | undefined, to: string | undefined): string[] {
  if (from === to) return [];
  return [`comment on ${kind} ${key} is ${to === undefined ? 'null' : quoteLiteral(to)};`];
}

export function ownerChange(kind: string, key: string, from: string, to: string): string[] {
  return from === to ? [] : [`alter ${kind} ${key} owner to ${quoteIdent(to)};`];
}

/**
 * The table a foreign key references, as the model names it: pg_get_constraintdef writes it
 * qualified (`REFERENCES myapp.author(id)`), the deparsers running with search_path = pg_catalog.
 */
export function referencedTable(definition: string): string | undefined {
  return referencedKey(definition)?.table;
}

/** The table and the columns (`(id, at)`) a foreign key references. */
export function referencedKey(definition: string): { table: string; columns: string } | undefined {
  const ident = '(?:"(?:[^"]|"")+"|[^\\s."(]+)';
  const m = new RegExp(`\\bREFERENCES (${ident}\\.${ident})(\\([^)]*\\))`).exec(definition);
  return m ? { table: m[1], columns: m[2] } : undefined;
}

/** A foreign key needs the table it references to exist... */
export function needsOf(definition: string): string[] | undefined {
  const r = referencedTable(definition);
  return r ? [`relation ${r}`] : undefined;
}

/** ...and, dropped, lets go of it. */
export function freesOf(definition: string): string[] | undefined {
  return needsOf(definition);
}

/** The keys of two maps, sorted: each object compared once. */
export function keysOf(a: object, b: object): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
}
