/**
 * The statements of tables (with their constraints, indexes, triggers, rules, statistics and
 * policies), views and sequences. Foreign keys are written by the caller, apart (constraints.sql).
 */
import type { Column, Constraint, Index, Policy, Rule, Sequence, Table, Trigger, View } from '../inspect/model';
import type { RenderContext } from './types';
import { alterOwner, comment, grantLines, grantsOn, role } from './sql-pieces';
import { attachedParts, chosenName, defaultSequenceName, relationNames, renameAttached } from './sql-attached';
import { quoteIdent, quoteLiteral, quoteQualified } from '../../../quote';

export function tableStatements(ctx: RenderContext, key: string, t: Table, { renameCopies = true } = {}): string[] {
  if (t.kind === 'foreign table') {
    ctx.notCarried.push({ object: `foreign table ${key}`, reason: 'its server and options are not in the model' });
    return [`-- foreign table ${key} is not carried over: create its server and the table by hand`, ''];
  }
  const lines: string[] = [];
  const parent = t.partitionOf ? ctx.model.tables[t.partitionOf] : undefined;
  const cols = t.columnOrder.map((c) => [c, t.columns[c]] as [string, Column]);
  if (parent) {
    lines.push(
      `create table ${key} partition of ${t.partitionOf}${t.partitionKey ? `\n  partition by ${t.partitionKey}` : ''}\n  ${t.partitionBound};`,
    );
    for (const [name, c] of cols) {
      const p = parent.columns[name];
      const alter = `alter table ${key} alter column ${quoteIdent(name)}`;
      if (c.default !== p?.default) lines.push(c.default === undefined ? `${alter} drop default;` : `${alter} set default ${c.default};`);
      if (c.notNull && !p?.notNull) lines.push(`${alter} set not null;`);
    }
  } else {
    // A column the table has only from its parents is not declared: declared, it would be its own too.
    const defs = cols.filter(([, c]) => !c.inherited).map(([name, c]) => `  ${quoteIdent(name)} ${column(c, t, name)}`);
    let tail = '';
    if (t.inherits?.length) tail += `\ninherits (${t.inherits.join(', ')})`;
    if (t.partitionKey) tail += `\npartition by ${t.partitionKey}`;
    if (t.options?.length) tail += `\nwith (${t.options.join(', ')})`;
    lines.push(`create${t.unlogged ? ' unlogged' : ''} table ${key} (${defs.length ? `\n${defs.join(',\n')}\n` : ''})${tail};`);
    lines.push(...inheritedColumnStatements(ctx, key, t));
  }
  const own = Object.entries(t.constraints)
    .filter(([, c]) => c.type !== 'foreign key' && !c.attachedTo)
    .sort(([, a], [, b]) => rankConstraint(a) - rankConstraint(b));
  for (const [n, c] of own) lines.push(...constraintStatements(key, n, c));
  lines.push(...relationParts(ctx, key, t));
  if (parent && renameCopies) lines.push(...attachedNames(ctx, key, t, parent));
  for (const [n, s] of Object.entries(t.statistics)) {
    lines.push(`${s.definition};`, ...comment('statistics', n, s.comment));
  }
  if (t.rowSecurity) lines.push(`alter table ${key} enable row level security;`);
  if (t.forceRowSecurity) lines.push(`alter table ${key} force row level security;`);
  for (const [n, p] of Object.entries(t.policies)) lines.push(...policyStatements(key, n, p));
  if (t.replicaIdentity === 'full' || t.replicaIdentity === 'nothing')
    lines.push(`alter table ${key} replica identity ${t.replicaIdentity};`);
  const ri = Object.entries(t.indexes).find(([, i]) => i.replicaIdentity);
  if (ri) lines.push(`alter table ${key} replica identity using index ${quoteIdent(ri[0])};`);
  lines.push(...relationTail(ctx, 'table', key, t));
  return lines;
}

export function constraintStatements(table: string, name: string, c: Constraint): string[] {
  return [
    `alter table ${table} add constraint ${quoteIdent(name)} ${c.definition};`,
    ...(c.comment !== undefined ? [`comment on constraint ${quoteIdent(name)} on ${table} is ${quoteLiteral(c.comment)};`] : []),
  ];
}

export function viewStatements(ctx: RenderContext, key: string, v: View): string[] {
  const kind = v.kind;
  const lines = [
    `create ${kind} ${key}${v.options?.length ? ` with (${v.options.join(', ')})` : ''} as\n${v.definition.trim().replace(/;$/, '')};`,
  ];
  for (const c of v.columnOrder) {
    const d = v.columns[c].default;
    if (d !== undefined) lines.push(`alter view ${key} alter column ${quoteIdent(c)} set default ${d};`);
  }
  lines.push(...relationParts(ctx, key, v));
  return [...lines, ...relationTail(ctx, kind, key, v)];
}

export function sequenceStatements(ctx: RenderContext, s: Sequence): string[] {
  const key = quoteQualified(s.schema, s.name);
  return [
    `create sequence ${key} as ${s.type} increment by ${s.increment} minvalue ${s.min} maxvalue ${s.max}` +
      ` start with ${s.start} cache ${s.cache}${s.cycle ? ' cycle' : ' no cycle'};`,
    ...alterOwner(ctx, 'sequence', key, s.owner),
    ...grantsOn('sequence', key, s.grants, s.owner),
    ...comment('sequence', key, s.comment),
    '',
  ];
}

/**
 * The defaults and NOT NULL of the columns a child has only from its parents, where they differ
 * from the first parent's: the child took the parent's when it was created.
 */
export function inheritedColumnStatements(ctx: RenderContext, key: string, t: Table): string[] {
  const lines: string[] = [];
  for (const name of t.columnOrder) {
    const c = t.columns[name];
    if (!c.inherited) continue;
    const p = (t.inherits ?? []).map((k) => ctx.model.tables[k]?.columns[name]).find(Boolean);
    const alter = `alter table ${key} alter column ${quoteIdent(name)}`;
    if (c.default !== p?.default) lines.push(c.default === undefined ? `${alter} drop default;` : `${alter} set default ${c.default};`);
    if (c.notNull && !p?.notNull) lines.push(`${alter} set not null;`);
  }
  return lines;
}

/**
 * A partition created with PARTITION OF gets a copy of each index and key of its parent, named by
 * PostgreSQL: the copies whose name in the model is another are renamed (`renameCopies`; pgpatch
 * diff renames them itself, once the parent's are made).
 */
function attachedNames(ctx: RenderContext, key: string, t: Table, parent: Table): string[] {
  const taken = relationNames(t.schema, ctx.model);
  return attachedParts(t).flatMap((p) => {
    const chosen = chosenName(t, p, taken);
    return chosen === p.name ? [] : [renameAttached(key, t, parent, p, chosen)];
  });
}

/** Indexes, triggers and rules: what tables and views share. A partition's copies of its parent's indexes are made with it. */
function relationParts(ctx: RenderContext, key: string, r: Table | View): string[] {
  return [
    ...Object.entries(r.indexes)
      .filter(([, i]) => !i.attachedTo)
      .flatMap(([n, i]) => indexStatements(ctx, key, r.schema, n, i)),
    ...Object.entries(r.triggers).flatMap(([n, tr]) => triggerStatements(key, n, tr)),
    ...Object.entries(r.rules).flatMap(([n, ru]) => ruleStatements(key, n, ru)),
  ];
}

export function indexStatements(ctx: RenderContext, key: string, schema: string, n: string, i: Index): string[] {
  const name = `${quoteIdent(schema)}.${quoteIdent(n)}`;
  if (!i.valid)
    ctx.notCarried.push({
      object: `index ${name}`,
      reason: 'invalid in the original (a failed CREATE INDEX CONCURRENTLY): written as a valid index',
    });
  return [
    `create ${i.unique ? 'unique ' : ''}index ${quoteIdent(n)} on ${key} using ${i.definition};`,
    ...comment('index', name, i.comment),
  ];
}

export function triggerStatements(key: string, n: string, tr: Trigger): string[] {
  return [`${tr.definition};`, ...enabled('trigger', n, key, tr.enabled), ...comment(`trigger ${quoteIdent(n)} on`, key, tr.comment)];
}

export function ruleStatements(key: string, n: string, ru: Rule): string[] {
  return [
    /;\s*$/.test(ru.definition) ? ru.definition : `${ru.definition};`,
    ...enabled('rule', n, key, ru.enabled),
    ...comment(`rule ${quoteIdent(n)} on`, key, ru.comment),
  ];
}

export function policyStatements(key: string, n: string, p: Policy): string[] {
  return [
    `create policy ${quoteIdent(n)} on ${key} as ${p.permissive ? 'permissive' : 'restrictive'} for ${p.command.toLowerCase()}` +
      ` to ${p.roles.map(role).join(', ')}${p.using ? ` using (${p.using})` : ''}${p.withCheck ? ` with check (${p.withCheck})` : ''};`,
    ...comment(`policy ${quoteIdent(n)} on`, key, p.comment),
  ];
}

/** Owner, grants and comments of a relation and its columns. */
function relationTail(ctx: RenderContext, kind: string, key: string, r: Table | View): string[] {
  const lines = [...alterOwner(ctx, kind, key, r.owner), ...grantsOn('table', key, r.grants, r.owner)]; // GRANT ... ON TABLE covers views too
  lines.push(...comment(kind, key, r.comment));
  for (const c of r.columnOrder) {
    const col = r.columns[c];
    if (col.comment !== undefined) lines.push(`comment on column ${key}.${quoteIdent(c)} is ${quoteLiteral(col.comment)};`);
    for (const [grantee, privs] of Object.entries(col.grants ?? {})) {
      lines.push(...grantLines(privs, (p, opt) => `grant ${p} (${quoteIdent(c)}) on ${key} to ${role(grantee)}${opt};`));
    }
    if (col.identity?.grants && Object.keys(col.identity.grants).some((g) => g !== r.owner)) {
      ctx.notCarried.push({
        object: `identity sequence of ${key}.${quoteIdent(c)}`,
        reason: 'its privileges (the sequence name is generated)',
      });
    }
  }
  lines.push('');
  return lines;
}

/**
 * A column's definition after its name, as CREATE TABLE (and `pgpatch diff`'s ADD COLUMN) write it.
 * With its table and name, an identity's sequence is named when its name is not the one
 * PostgreSQL would choose (pg_dump shows it).
 */
export function column(c: Column, table?: { schema: string; name: string }, name?: string): string {
  let s = c.type;
  if (c.collation) s += ` collate ${c.collation}`;
  if (c.generated) s += ` generated always as (${c.generated.expression}) ${c.generated.kind}`;
  if (c.identity) {
    const i = c.identity;
    const o: string[] = [];
    if (i.sequence && table && name !== undefined && i.sequence !== defaultSequenceName(table, name)) o.push(`sequence name ${i.sequence}`);
    if (i.start !== undefined) o.push(`start with ${i.start}`);
    if (i.increment !== undefined) o.push(`increment by ${i.increment}`);
    if (i.min !== undefined) o.push(`minvalue ${i.min}`);
    if (i.max !== undefined) o.push(`maxvalue ${i.max}`);
    if (i.cache !== undefined) o.push(`cache ${i.cache}`);
    if (i.cycle !== undefined) o.push(i.cycle ? 'cycle' : 'no cycle');
    s += ` generated ${i.generation} as identity${o.length ? ` (${o.join(' ')})` : ''}`;
  }
  if (c.default !== undefined) s += ` default ${c.default}`;
  if (c.notNull) s += ' not null';
  return s;
}

function rankConstraint(c: Constraint): number {
  return { 'primary key': 0, unique: 1, exclusion: 2, check: 3, 'foreign key': 4 }[c.type];
}

export function enabled(kind: 'trigger' | 'rule', name: string, table: string, state: string): string[] {
  if (state === 'origin') return [];
  const how = { disabled: 'disable', replica: 'enable replica', always: 'enable always' }[state];
  return [`alter table ${table} ${how} ${kind} ${quoteIdent(name)};`];
}
