/**
 * database.sql, the entry point: how to load the files, then what every other file needs
 * (schemas, extensions, collations), the other files in load order, and default privileges last.
 */
import type { Collation, DefaultPrivileges } from '../inspect/model';
import type { RenderContext } from './types';
import { alterOwner, comment, grantLines, grantsOn, role } from './sql-pieces';
import { quoteIdent, quoteLiteral } from '../../../quote';

/**
 * The text of database.sql, including `includes` (the other files, in load order) and, after the
 * default privileges, `last` (event triggers: they would fire on the statements that follow them).
 */
export function databaseFile(ctx: RenderContext, includes: string[], last: string[] = []): string {
  const m = ctx.model;
  const out = [
    '-- database.sql: entry point of the schema, written by `pgpatch adopt` from a live database.',
    '--',
    '-- Load it into an EMPTY database, from this folder:  pgpatch load   (or psql -X -v ON_ERROR_STOP=1 -f database.sql URL)',
    '-- It creates no roles and copies no data: the roles named in grants and owners must exist.',
    ctx.mainOwner ? `-- Most objects were owned by ${ctx.mainOwner}: load as that role (only other owners are written out).` : '',
    ...(ctx.options.leftOut?.length
      ? [
          '--',
          `-- Left out on purpose: ${ctx.options.leftOut.join(', ')} (Django's migration history: pgpatch's`,
          '-- schema_patch record replaces it; Django must not migrate this database any more).',
        ]
      : []),
    '-- Later changes go into BOTH these files and a patch in patches/ (pgpatch makemigrations NAME).',
    '',
    // As pg_dump does. The bodies of PL/pgSQL functions and of SQL functions written as a
    // string are not in pg_depend, so no order can be derived for what they name: with this
    // off they are not checked when created, only when they run (SQL-standard bodies, BEGIN
    // ATOMIC / RETURN, are parsed anyway: pg_depend has what they need, and they are ordered by it).
    '-- Function bodies are checked when they run, not when created: a body may name what comes later.',
    'set check_function_bodies = off;',
    '',
  ].filter((l, i, a) => l !== '' || a[i - 1] !== '');
  for (const [key, s] of Object.entries(m.schemas)) {
    if (s.name !== 'public') out.push(`create schema ${key};`);
    out.push(...alterOwner(ctx, 'schema', key, s.owner, s.name === 'public'));
    out.push(...grantsOn('schema', key, s.grants, s.owner, s.name !== 'public'));
    if (s.comment !== undefined) out.push(`comment on schema ${key} is ${quoteLiteral(s.comment)};`);
  }
  for (const x of Object.values(m.extensions)) {
    if (x.name === 'plpgsql') continue;
    out.push(
      `create extension if not exists ${quoteIdent(x.name)} with schema ${quoteIdent(x.schema)} version ${quoteLiteral(x.version)};`,
    );
  }
  for (const [key, c] of Object.entries(m.collations)) out.push(...collationStatements(ctx, key, c));
  out.push('');
  for (const f of includes) out.push(`\\i ${f}`);
  const dp = Object.values(m.defaultPrivileges).flatMap((d) => defaultPrivilegesStatements(d));
  if (dp.length)
    out.push(
      '',
      '--- default privileges last: they apply to objects created after them, and the objects',
      '--- above have the privileges they had in the original database already.',
      ...dp,
    );
  if (last.length)
    out.push('', '--- event triggers after everything else: they fire on the DDL that follows them.', ...last.map((f) => `\\i ${f}`));
  out.push('', 'reset check_function_bodies;');
  return out.join('\n') + '\n';
}

export function collationStatements(ctx: RenderContext, key: string, c: Collation): string[] {
  const opts = [`provider = ${c.provider}`];
  if (c.locale !== undefined) opts.push(`locale = ${quoteLiteral(c.locale)}`);
  if (c.lcCollate !== undefined) opts.push(`lc_collate = ${quoteLiteral(c.lcCollate)}`);
  if (c.lcCtype !== undefined) opts.push(`lc_ctype = ${quoteLiteral(c.lcCtype)}`);
  if (!c.deterministic) opts.push('deterministic = false');
  if (c.rules !== undefined) opts.push(`rules = ${quoteLiteral(c.rules)}`);
  return [
    `create collation ${key} (${opts.join(', ')});`,
    ...alterOwner(ctx, 'collation', key, c.owner),
    ...comment('collation', key, c.comment),
  ];
}

function defaultPrivilegesStatements(d: DefaultPrivileges): string[] {
  const head = `alter default privileges for role ${quoteIdent(d.role)}${d.schema ? ` in schema ${quoteIdent(d.schema)}` : ''}`;
  const on = d.objectType;
  const out: string[] = [];
  if (!d.schema) out.push(`${head} revoke all on ${on} from public;`);
  for (const [grantee, privs] of Object.entries(d.grants)) {
    if (grantee === d.role && !d.schema) continue;
    out.push(...grantLines(privs, (p, opt) => `${head} grant ${p} on ${on} to ${role(grantee)}${opt};`));
  }
  return out;
}
