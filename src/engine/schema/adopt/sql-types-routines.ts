/**
 * The statements of types (enums, composites, ranges, domains) and of functions, procedures and
 * aggregates.
 */
import type { Routine, TypeDef } from '../inspect/model';
import type { RenderContext } from './types';
import { alterOwner, comment, grantsOn } from './sql-pieces';
import { quoteIdent, quoteLiteral, quoteQualified } from '../../../quote';

export function typeStatements(ctx: RenderContext, t: TypeDef): string[] {
  const key = quoteQualified(t.schema, t.name);
  const lines: string[] = [];
  if (t.kind === 'enum') lines.push(`create type ${key} as enum (${t.labels.map(quoteLiteral).join(', ')});`);
  else if (t.kind === 'composite') {
    lines.push(
      `create type ${key} as (${t.attributes.map((a) => `${quoteIdent(a.name)} ${a.type}${a.collation ? ` collate ${a.collation}` : ''}`).join(', ')});`,
    );
  } else if (t.kind === 'range') {
    if (t.canonical)
      ctx.notCarried.push({ object: `range type ${key}`, reason: 'its canonical function needs a shell type: write it by hand' });
    const o = [`subtype = ${t.subtype}`];
    if (t.subtypeOpclass) o.push(`subtype_opclass = ${t.subtypeOpclass}`);
    if (t.collation) o.push(`collation = ${t.collation}`);
    if (t.subtypeDiff) o.push(`subtype_diff = ${t.subtypeDiff}`);
    if (t.multirange) o.push(`multirange_type_name = ${t.multirange}`);
    lines.push(`create type ${key} as range (${o.join(', ')});`);
  } else {
    lines.push(
      `create domain ${key} as ${t.baseType}${t.collation ? ` collate ${t.collation}` : ''}` +
        `${t.default !== undefined ? ` default ${t.default}` : ''}${t.notNull ? ' not null' : ''};`,
    );
    for (const [n, c] of Object.entries(t.constraints)) {
      lines.push(`alter domain ${key} add constraint ${quoteIdent(n)} ${c.definition};`);
      if (c.comment !== undefined) lines.push(`comment on constraint ${quoteIdent(n)} on domain ${key} is ${quoteLiteral(c.comment)};`);
    }
  }
  const kind = t.kind === 'domain' ? 'domain' : 'type';
  lines.push(...alterOwner(ctx, kind, key, t.owner), ...grantsOn(kind, key, t.grants, t.owner), ...comment(kind, key, t.comment), '');
  return lines;
}

export function routineStatements(ctx: RenderContext, key: string, f: Routine): string[] {
  const name = quoteQualified(f.schema, f.name);
  const kind = f.kind === 'procedure' ? 'procedure' : f.kind === 'aggregate' ? 'aggregate' : 'function';
  const lines: string[] = [];
  if (f.kind === 'aggregate') {
    const a = f.aggregate ?? {};
    const o = [`sfunc = ${a.sfunc}`, `stype = ${a.stype}`];
    if (a.initcond !== undefined) o.push(`initcond = ${quoteLiteral(a.initcond)}`);
    if (a.finalfunc) o.push(`finalfunc = ${a.finalfunc}`);
    if (a.combinefunc) o.push(`combinefunc = ${a.combinefunc}`);
    if (a.sortop) o.push(`sortop = ${a.sortop.replace(/\(.*$/, '')}`);
    if (f.parallel !== 'unsafe') o.push(`parallel = ${f.parallel}`);
    lines.push(`create aggregate ${name}(${f.arguments || '*'}) (${o.join(', ')});`);
  } else {
    const head = [`create ${kind} ${name}(${f.arguments})`];
    if (f.returns !== undefined) head.push(`returns ${f.returns}`);
    head.push(`language ${quoteIdent(f.language)}`);
    if (f.kind !== 'procedure') {
      if (f.kind === 'window function') head.push('window');
      head.push(f.volatility);
      if (f.strict) head.push('strict');
      if (f.leakproof) head.push('leakproof');
      head.push(`parallel ${f.parallel}`, `cost ${f.cost}`);
      if (f.rows > 0) head.push(`rows ${f.rows}`);
    }
    if (f.securityDefiner) head.push('security definer');
    for (const c of f.config ?? []) {
      const eq = c.indexOf('=');
      const [n, v] = [c.slice(0, eq), c.slice(eq + 1)];
      head.push(`set ${n} = ${/^(search_path|temp_tablespaces)$/.test(n) ? v : quoteLiteral(v)}`);
    }
    const atomic = f.language === 'sql' && /^\s*(BEGIN\s+ATOMIC|RETURN)\b/.test(f.body);
    lines.push(`${head.join('\n  ')}\n${atomic ? f.body : `as ${dollar(f.body)}`};`);
  }
  lines.push(
    ...alterOwner(ctx, kind, key, f.owner),
    ...grantsOn(kind === 'procedure' ? 'procedure' : 'function', key, f.grants, f.owner),
    ...comment(kind, key, f.comment),
    '',
  );
  return lines;
}

/** A dollar-quoted body whose tag does not occur in it. */
function dollar(body: string): string {
  let tag = '$$';
  for (let i = 0; body.includes(tag); i++) tag = `$body${i || ''}$`;
  return `${tag}${body}${tag}`;
}
