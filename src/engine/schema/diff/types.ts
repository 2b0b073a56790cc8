/**
 * The changes of types. An enum gains labels with ADD VALUE; one that loses or reorders labels
 * is created anew under its name and its columns converted through text (losing the rows that
 * hold a dropped label: flagged). A domain changes in place (default, NOT NULL, constraints);
 * a composite type attribute by attribute; what ALTER cannot do is a drop and create.
 */
import type { CompositeType, DomainType, EnumType, RangeType, SchemaModel, TypeDef } from '../inspect/model';

import { typeStatements } from '../adopt/sql-types-routines';

import { add, Phase, type DiffContext } from './change';
import { commentChange, grantsOf, keysOf, ownerChange, same } from './pieces';
import { quoteIdent, quoteLiteral, quoteQualified } from '../../../quote';

export function typeChanges(ctx: DiffContext, fromModel: SchemaModel, toModel: SchemaModel): void {
  const [from, to] = [fromModel.types, toModel.types];
  for (const key of keysOf(from, to)) {
    const [f, t] = [from[key], to[key]];
    const base = { phase: Phase.type, object: `type ${key}` };
    const word = (x: TypeDef) => (x.kind === 'domain' ? 'domain' : 'type');
    const drop = () =>
      add(ctx, {
        ...base,
        action: 'drop',
        answers: `${f.kind} type ${key}: ${t ? 'changed: dropped and created again' : 'dropped'}`,
        sql: [`drop ${word(f)} ${key};`],
      });
    const create = () =>
      add(ctx, {
        ...base,
        action: 'create',
        answers: `${t.kind} type ${key}: ${f ? 'changed: dropped and created again' : 'created'}`,
        sql: typeStatements(ctx.render, t),
      });
    if (!t) drop();
    else if (!f) create();
    else {
      if (f.kind === 'enum' && t.kind === 'enum') enumChange(ctx, key, f, t, fromModel, toModel);
      else if (f.kind === 'domain' && t.kind === 'domain' && f.baseType === t.baseType && f.collation === t.collation)
        domainChange(ctx, key, f, t);
      else if (f.kind === 'domain' && t.kind === 'domain') {
        replaceType(
          ctx,
          key,
          t,
          fromModel,
          toModel,
          t.baseType,
          `domain ${key}: base type ${f.baseType} -> ${t.baseType}`,
          `converts the columns of domain ${key} from ${f.baseType} to ${t.baseType}: the cast can fail or cut values`,
        );
        continue;
      } else if (f.kind === 'composite' && t.kind === 'composite') compositeChange(ctx, key, f, t);
      else if (f.kind === 'range' && t.kind === 'range' && !same(rangeShape(f), rangeShape(t))) {
        replaceType(
          ctx,
          key,
          t,
          fromModel,
          toModel,
          'text',
          `range type ${key}: changed`,
          f.subtype !== t.subtype
            ? `converts the columns of range type ${key} from ${f.subtype} to ${t.subtype} bounds: the cast can fail or cut values`
            : undefined,
          rangeOutOfTheWay(f),
        );
        continue;
      } else if (!same({ ...f, owner: 0, grants: 0, comment: 0 }, { ...t, owner: 0, grants: 0, comment: 0 })) {
        drop();
        create();
        continue;
      }
      add(ctx, {
        ...base,
        phase: Phase.tail,
        action: 'alter',
        answers: `${t.kind} type ${key}: owner, privileges or comment`,
        sql: [
          ...ownerChange(word(t), key, f.owner, t.owner),
          ...grantsOf(word(t), key, f.grants, t.grants, [f.owner, t.owner]),
          ...commentChange(word(t), key, f.comment, t.comment),
        ],
      });
    }
  }
}

/**
 * Types that are replaced under their name (see `replaceType`): enums that lose or reorder
 * labels, domains whose base type or collation changes. The tables that use them are rewritten.
 */
export function replacedTypes(from: SchemaModel, to: SchemaModel): Set<string> {
  const out = new Set<string>();
  for (const [k, f] of Object.entries(from.types)) {
    const t = to.types[k];
    if (f.kind === 'enum' && t?.kind === 'enum') {
      const kept = f.labels.filter((l) => t.labels.includes(l));
      if (
        kept.length !== f.labels.length ||
        !same(
          kept,
          t.labels.filter((l) => f.labels.includes(l)),
        )
      )
        out.add(k);
    } else if (f.kind === 'domain' && t?.kind === 'domain' && (f.baseType !== t.baseType || f.collation !== t.collation)) out.add(k);
    else if (f.kind === 'range' && t?.kind === 'range' && !same(rangeShape(f), rangeShape(t))) out.add(k);
  }
  return out;
}

/**
 * What a range type brings with it under names of its own, renamed with it out of the way of the
 * new type's (run after the type itself is renamed `NAME__old`): its constructor functions, its
 * multirange type and the multirange's constructors.
 */
function rangeOutOfTheWay(f: RangeType): string[] {
  const old = quoteQualified(f.schema, `${f.name}__old`);
  const fn = quoteQualified(f.schema, f.name);
  const out = [
    `alter function ${fn}(${f.subtype}, ${f.subtype}) rename to ${quoteIdent(`${f.name}__old`)};`,
    `alter function ${fn}(${f.subtype}, ${f.subtype}, text) rename to ${quoteIdent(`${f.name}__old`)};`,
  ];
  if (f.multirange) {
    const bare = f.multirange.slice(f.multirange.lastIndexOf('.') + 1).replace(/^"(.*)"$/, '$1');
    const renamed = quoteIdent(`${bare}__old`);
    out.push(`alter type ${f.multirange} rename to ${renamed};`);
    for (const args of ['', old, `variadic ${old}[]`]) out.push(`alter function ${f.multirange}(${args}) rename to ${renamed};`);
  }
  return out;
}

/** A range type without what ALTER TYPE changes in place. */
function rangeShape(r: RangeType): object {
  return { ...r, owner: undefined, grants: undefined, comment: undefined };
}

/** The columns of tables in both models that have the type `key` (or an array of it) in both. */
export function columnsOfType(
  from: SchemaModel,
  to: SchemaModel,
  key: string,
): Array<{ table: string; column: string; type: string; default?: string }> {
  return Object.entries(from.tables).flatMap(([tk, tb]) =>
    Object.entries(tb.columns)
      .filter(([c, col]) => (col.type === key || col.type === `${key}[]`) && to.tables[tk]?.columns[c]?.type === col.type)
      .map(([c, col]) => ({ table: tk, column: c, type: col.type, default: to.tables[tk].columns[c].default })),
  );
}

function enumChange(ctx: DiffContext, key: string, f: EnumType, t: EnumType, fromModel: SchemaModel, toModel: SchemaModel): void {
  if (!replacedTypes(fromModel, toModel).has(key)) {
    const sql = t.labels.flatMap((l, i) =>
      f.labels.includes(l)
        ? []
        : [
            `alter type ${key} add value ${quoteLiteral(l)}${i > 0 ? ` after ${quoteLiteral(t.labels[i - 1])}` : t.labels.length > 1 ? ` before ${quoteLiteral(t.labels[1])}` : ''};`,
          ],
    );
    add(ctx, { phase: Phase.type, object: `type ${key}`, action: 'alter', answers: `enum type ${key}: labels added`, sql });
    return;
  }
  const dropped = f.labels.filter((l) => !t.labels.includes(l));
  replaceType(
    ctx,
    key,
    t,
    fromModel,
    toModel,
    'text',
    `enum type ${key}: labels ${dropped.length ? `dropped (${dropped.join(', ')})` : 'reordered'}`,
    dropped.length ? `the rows that hold ${dropped.map(quoteLiteral).join(', ')} fail the conversion: update them first` : undefined,
  );
}

/**
 * PostgreSQL cannot drop an enum label nor change a domain's base type: a new type takes the
 * name, the columns move to it through `via` (text for enums, the new base type for domains),
 * and the old one is dropped. Views that read those columns are rebuilt around it (plan.ts).
 */
function replaceType(
  ctx: DiffContext,
  key: string,
  t: TypeDef,
  fromModel: SchemaModel,
  toModel: SchemaModel,
  via: string,
  answers: string,
  dataLoss?: string,
  outOfTheWay: string[] = [],
): void {
  const old = quoteQualified(t.schema, `${t.name}__old`);
  const users = columnsOfType(fromModel, toModel, key);
  const create = typeStatements({ ...ctx.render, mainOwner: t.owner }, t).filter((l) => l !== '');
  const sql = [`alter type ${key} rename to ${quoteIdent(`${t.name}__old`)};`, ...outOfTheWay, ...create];
  for (const u of users) {
    const ac = `alter table ${u.table} alter column ${quoteIdent(u.column)}`;
    const arr = u.type.endsWith('[]') ? '[]' : '';
    sql.push(`${ac} drop default;`, `${ac} type ${u.type} using ${quoteIdent(u.column)}::${via}${arr}::${u.type};`);
    if (u.default !== undefined) sql.push(`${ac} set default ${u.default};`);
  }
  sql.push(`drop ${t.kind === 'domain' ? 'domain' : 'type'} ${old};`);
  add(ctx, {
    phase: Phase.type,
    object: `type ${key}`,
    action: 'alter',
    answers,
    sql,
    dataLoss,
    hazard: users.length ? `rewrites ${[...new Set(users.map((u) => u.table))].join(', ')} under an ACCESS EXCLUSIVE lock` : undefined,
  });
}

function domainChange(ctx: DiffContext, key: string, f: DomainType, t: DomainType): void {
  const ad = `alter domain ${key}`;
  const sql: string[] = [];
  if (f.default !== t.default) sql.push(t.default === undefined ? `${ad} drop default;` : `${ad} set default ${t.default};`);
  if (f.notNull !== t.notNull) sql.push(`${ad} ${t.notNull ? 'set' : 'drop'} not null;`);
  add(ctx, { phase: Phase.type, object: `type ${key}`, action: 'alter', answers: `domain ${key}: default or NOT NULL`, sql });
  for (const n of keysOf(f.constraints, t.constraints)) {
    const [fc, tc] = [f.constraints[n], t.constraints[n]];
    if (fc && tc && same(fc, tc)) continue;
    const bare = (d: string) => d.replace(/ NOT VALID$/, '');
    if (fc && tc && bare(fc.definition) === bare(tc.definition) && (tc.valid || !fc.valid)) {
      add(ctx, {
        phase: Phase.type,
        object: `type ${key}`,
        action: 'alter',
        answers: `domain ${key}, constraint ${n}: changed`,
        sql: [
          ...(!fc.valid && tc.valid ? [`${ad} validate constraint ${quoteIdent(n)};`] : []),
          ...commentChange(`constraint ${quoteIdent(n)} on domain`, key, fc.comment, tc.comment),
        ],
      });
      continue;
    }
    if (fc)
      add(ctx, {
        phase: Phase.type,
        object: `type ${key}`,
        action: 'drop',
        answers: `domain ${key}, constraint ${n}: ${tc ? 'changed' : 'dropped'}`,
        sql: [`${ad} drop constraint ${quoteIdent(n)};`],
      });
    if (tc) {
      add(ctx, {
        phase: Phase.type,
        object: `type ${key}`,
        action: 'create',
        answers: `domain ${key}, constraint ${n}: ${fc ? 'changed' : 'added'}`,
        sql: [
          `${ad} add constraint ${quoteIdent(n)} ${tc.definition};`,
          ...commentChange(`constraint ${quoteIdent(n)} on domain`, key, undefined, tc.comment),
        ],
        hazard: tc.valid ? 'checks every value of the columns of this domain' : undefined,
      });
    }
  }
}

function compositeChange(ctx: DiffContext, key: string, f: CompositeType, t: CompositeType): void {
  const sql: string[] = [];
  const fa = new Map(f.attributes.map((a) => [a.name, a]));
  const ta = new Map(t.attributes.map((a) => [a.name, a]));
  for (const a of f.attributes) if (!ta.has(a.name)) sql.push(`alter type ${key} drop attribute ${quoteIdent(a.name)};`);
  for (const a of t.attributes) {
    const o = fa.get(a.name);
    const spec = `${a.type}${a.collation ? ` collate ${a.collation}` : ''}`;
    if (!o) sql.push(`alter type ${key} add attribute ${quoteIdent(a.name)} ${spec};`);
    else if (o.type !== a.type || o.collation !== a.collation)
      sql.push(`alter type ${key} alter attribute ${quoteIdent(a.name)} type ${spec};`);
  }
  add(ctx, {
    phase: Phase.type,
    object: `type ${key}`,
    action: 'alter',
    answers: `composite type ${key}: attributes`,
    sql,
    dataLoss: f.attributes.some((a) => !ta.has(a.name)) ? 'drops attributes of a composite type' : undefined,
  });
}
