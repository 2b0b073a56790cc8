/**
 * The pieces of SQL text that the statements of every kind of object share: literals, role
 * names, COMMENT ON, OWNER TO and GRANT.
 */
import type { Grants } from '../inspect/model';
import type { RenderContext } from './types';
import { quoteIdent, quoteLiteral } from '../../../quote';

/** OWNER TO only for another owner than the main one: the files are loaded as that role. */
export function alterOwner(ctx: RenderContext, kind: string, key: string, owner: string, isPublicSchema = false): string[] {
  if (owner === ctx.mainOwner || (isPublicSchema && owner === 'pg_database_owner')) return [];
  return [`alter ${kind} ${key} owner to ${quoteIdent(owner)};`];
}

/**
 * GRANTs to everyone but the owner. PUBLIC's built-in privileges on a new object (EXECUTE on
 * functions, USAGE on types, nothing on schemas) are revoked first, unless PUBLIC has exactly
 * those: then nothing is written for PUBLIC. `fresh`: the object is being created (false for
 * the `public` schema, which exists with privileges of its own).
 */
export function grantsOn(kind: string, key: string, grants: Grants, owner: string, fresh = true): string[] {
  // Aggregates are granted as functions (GRANT ... ON FUNCTION covers them).
  const on = kind === 'aggregate' ? 'function' : kind;
  const lines: string[] = [];
  const publicDefault = { function: 'execute', procedure: 'execute', type: 'usage', domain: 'usage', schema: 'all' }[on as string];
  const builtIn = { function: ['EXECUTE'], procedure: ['EXECUTE'], type: ['USAGE'], domain: ['USAGE'], schema: [] }[on as string];
  const pub = grants.PUBLIC ?? [];
  const asBuiltIn = fresh && builtIn !== undefined && pub.length === builtIn.length && pub.every((p, i) => p === builtIn[i]);
  if (publicDefault && !asBuiltIn) lines.push(`revoke ${publicDefault} on ${on} ${key} from public;`);
  for (const [grantee, privs] of Object.entries(grants)) {
    if (grantee === owner || (asBuiltIn && grantee === 'PUBLIC')) continue;
    lines.push(...grantLines(privs, (p, opt) => `grant ${p} on ${on} ${key} to ${role(grantee)}${opt};`));
  }
  return lines;
}

/** One statement per grant option state: `SELECT, INSERT` and `SELECT WITH GRANT OPTION` apart. */
export function grantLines(privs: string[], line: (privileges: string, option: string) => string): string[] {
  const plain = privs.filter((p) => !p.endsWith(' WITH GRANT OPTION'));
  const withOption = privs.filter((p) => p.endsWith(' WITH GRANT OPTION')).map((p) => p.slice(0, -' WITH GRANT OPTION'.length));
  const out: string[] = [];
  if (plain.length) out.push(line(plain.join(', ').toLowerCase(), ''));
  if (withOption.length) out.push(line(withOption.join(', ').toLowerCase(), ' with grant option'));
  return out;
}

export function comment(kind: string, key: string, text: string | undefined): string[] {
  return text === undefined ? [] : [`comment on ${kind} ${key} is ${quoteLiteral(text)};`];
}

export function role(name: string): string {
  return name === 'PUBLIC' ? 'public' : quoteIdent(name);
}
