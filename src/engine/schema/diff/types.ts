/**
 * The changes of types. An enum gains labels with ADD VALUE; one that loses or reorders labels
 * is created anew under its name and its columns converted through text (losing the rows that
 * hold a dropped label: flagged). A domain changes in place (default, NOT NULL, constraints);
 * a composite type attribute by attribute; what ALTER cannot do is a drop and create.
 */
import type { CompositeType, DomainType, EnumType, SchemaModel, TypeDef } from '../inspect/model';
import { qualifiedName, quoteName } from '../inspect/model';
import { typeStatements } from '../adopt/sql-types-routines';
import { lit } from '../adopt/sql-pieces';
import { add, Phase, type DiffContext } from './change';
import { commentChange, grantsOf, keysOf, ownerChange, same } from './pieces';

export function typeChanges(ctx: DiffContext, fromModel: SchemaModel, toModel: SchemaModel): void {
  const [from, to] = [fromModel.types, toModel.types];
  for (const key of keysOf(from, to)) {
    const [f, t] = [from[key], to[key]];
    const base = { phase: Phase.type, object: `type ${key}` };
    const word = (x: TypeDef) => (x.kind === 'domain' ? 'domain' : 'type');
    const drop = () => add(ctx, { ...base, action: 'drop', answers: `${f.kind} type ${key}: ${t ? 'changed: dropped and created again' : 'dropped'}`, sql: [`drop ${word(f)} ${key};`] });
    const create = () => add(ctx, { ...base, action: 'create', answers: `${t.kind} type ${key}: ${f ? 'changed: dropped and created again' : 'created'}`, sql: typeStatements(ctx.render, t) });
    if (!t) drop();
    else if (!f) create();
    else {
      if (f.kind === 'enum' && t.kind === 'enum') enumChange(ctx, key, f, t, toModel);
      else if (f.kind === 'domain' && t.kind === 'domain' && f.baseType === t.baseType && f.collation === t.collation) domainChange(ctx, key, f, t);
      else if (f.kind === 'composite' && t.kind === 'composite') compositeChange(ctx, key, f, t);
      else if (!same({ ...f, owner: 0, grants: 0, comment: 0 }, { ...t, owner: 0, grants: 0, comment: 0 })) {
        drop();
        create();
        continue;
      }
      add(ctx, { ...base, phase: Phase.tail, action: 'alter', answers: `${t.kind} type ${key}: owner, privileges or comment`, sql: [
        ...ownerChange(word(t), key, f.owner, t.owner), ...grantsOf(word(t), key, f.grants, t.grants, [f.owner, t.owner]),
        ...commentChange(word(t), key, f.comment, t.comment)] });
    }
  }
}

function enumChange(ctx: DiffContext, key: string, f: EnumType, t: EnumType, toModel: SchemaModel): void {
  const base = { phase: Phase.type, object: `type ${key}`, action: 'alter' as const };
  const kept = f.labels.filter((l) => t.labels.includes(l));
  const inOrder = same(kept, t.labels.filter((l) => f.labels.includes(l)));
  if (kept.length === f.labels.length && inOrder) {
    const sql = t.labels.flatMap((l, i) => (f.labels.includes(l) ? []
      : [`alter type ${key} add value ${lit(l)}${i > 0 ? ` after ${lit(t.labels[i - 1])}` : t.labels.length > 1 ? ` before ${lit(t.labels[1])}` : ''};`]));
    add(ctx, { ...base, answers: `enum type ${key}: labels added`, sql });
    return;
  }
  // PostgreSQL drops no enum label: a new type takes the name, the columns move to it through text.
  const old = qualifiedName(t.schema, `${t.name}__old`);
  const users = Object.entries(toModel.tables).flatMap(([tk, tb]) => Object.entries(tb.columns)
    .filter(([, c]) => c.type === key || c.type === `${key}[]`).map(([c, col]) => ({ table: tk, column: c, col })));
  const sql = [`alter type ${key} rename to ${quoteName(`${t.name}__old`)};`, typeStatements({ ...ctx.render, mainOwner: t.owner }, t)[0]];
  for (const u of users) {
    const ac = `alter table ${u.table} alter column ${quoteName(u.column)}`;
    const arr = u.col.type.endsWith('[]');
    if (u.col.default !== undefined) sql.push(`${ac} drop default;`);
    sql.push(`${ac} type ${u.col.type} using ${quoteName(u.column)}::text${arr ? '[]' : ''}::${u.col.type};`);
    if (u.col.default !== undefined) sql.push(`${ac} set default ${u.col.default};`);
  }
  sql.push(`drop type ${old};`);
  const dropped = f.labels.filter((l) => !t.labels.includes(l));
  add(ctx, { ...base, answers: `enum type ${key}: labels ${dropped.length ? `dropped (${dropped.join(', ')})` : 'reordered'}`, sql,
    dataLoss: dropped.length ? `the rows that hold ${dropped.map(lit).join(', ')} fail the conversion: update them first` : undefined,
    hazard: users.length ? `rewrites ${[...new Set(users.map((u) => u.table))].join(', ')} under an ACCESS EXCLUSIVE lock` : undefined });
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
      add(ctx, { phase: Phase.type, object: `type ${key}`, action: 'alter', answers: `domain ${key}, constraint ${n}: changed`, sql: [
        ...(!fc.valid && tc.valid ? [`${ad} validate constraint ${quoteName(n)};`] : []),
        ...commentChange(`constraint ${quoteName(n)} on domain`, key, fc.comment, tc.comment)] });
      continue;
    }
    if (fc) add(ctx, { phase: Phase.type, object: `type ${key}`, action: 'drop', answers: `domain ${key}, constraint ${n}: ${tc ? 'changed' : 'dropped'}`, sql: [`${ad} drop constraint ${quoteName(n)};`] });
    if (tc) {
      add(ctx, { phase: Phase.type, object: `type ${key}`, action: 'create', answers: `domain ${key}, constraint ${n}: ${fc ? 'changed' : 'added'}`,
        sql: [`${ad} add constraint ${quoteName(n)} ${tc.definition};`, ...commentChange(`constraint ${quoteName(n)} on domain`, key, undefined, tc.comment)],
        hazard: tc.valid ? 'checks every value of the columns of this domain' : undefined });
    }
  }
}

function compositeChange(ctx: DiffContext, key: string, f: CompositeType, t: CompositeType): void {
  const sql: string[] = [];
  const fa = new Map(f.attributes.map((a) => [a.name, a]));
  const ta = new Map(t.attributes.map((a) => [a.name, a]));
  for (const a of f.attributes) if (!ta.has(a.name)) sql.push(`alter type ${key} drop attribute ${quoteName(a.name)};`);
  for (const a of t.attributes) {
    const o = fa.get(a.name);
    const spec = `${a.type}${a.collation ? ` collate ${a.collation}` : ''}`;
    if (!o) sql.push(`alter type ${key} add attribute ${quoteName(a.name)} ${spec};`);
    else if (o.type !== a.type || o.collation !== a.collation) sql.push(`alter type ${key} alter attribute ${quoteName(a.name)} type ${spec};`);
  }
  add(ctx, { phase: Phase.type, object: `type ${key}`, action: 'alter', answers: `composite type ${key}: attributes`, sql,
    dataLoss: f.attributes.some((a) => !ta.has(a.name)) ? 'drops attributes of a composite type' : undefined });
}
