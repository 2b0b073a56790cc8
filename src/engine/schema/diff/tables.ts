/**
 * The changes of tables: created, dropped, or altered property by property (columns in
 * columns.ts; constraints, indexes, triggers, rules, policies and statistics in parts.ts; the
 * parts of partitions attached to their parent's in partitions.ts). Creates reuse adopt's
 * writers; foreign keys are changes of their own, after the tables they reference.
 *
 * A table whose kind or partition key changes is dropped and created again (`ctx.rebuilt`): its
 * partitions are detached before and attached after, its children stop inheriting before and
 * inherit again after, and the foreign keys that reference it are dropped before and added after.
 */
import type { SchemaModel, Table } from '../inspect/model';

import { constraintStatements, tableStatements } from '../adopt/sql-relations';
import { add, Phase, type DiffContext } from './change';
import { columnChanges, type ParentPair } from './columns';
import { attachedPartChanges } from './partitions';
import { partChanges } from './parts';
import { commentChange, freesOf, grantsOf, keysOf, needsOf, ownerChange, same } from './pieces';
import { ownedSequencesOf } from './sequences';
import { quoteIdent } from '../../../quote';

export function tableChanges(ctx: DiffContext, fromModel: SchemaModel, toModel: SchemaModel): void {
  const [from, to] = [fromModel.tables, toModel.tables];
  const hints = renameHints(from, to);
  for (const key of keysOf(from, to)) {
    const f = from[key];
    const t = to[key];
    if (!t) dropTable(ctx, key, f, fromModel, toModel, hints.get(key));
    else if (!f) createTable(ctx, key, t, fromModel, toModel, hints.get(key));
    else if (ctx.rebuilt.has(`relation ${key}`)) {
      dropTable(ctx, key, f, fromModel, toModel, undefined, `${t.kind} ${key}: ${rebuildReason(f, t)}: dropped and created again`);
      createTable(ctx, key, t, fromModel, toModel);
    } else {
      const parentKeys = [
        ...new Set([f.partitionOf, t.partitionOf, ...(f.inherits ?? []), ...(t.inherits ?? [])].filter((p): p is string => Boolean(p))),
      ];
      alterTable(
        ctx,
        key,
        f,
        t,
        parentKeys.map((p) => ({ f: from[p], t: to[p] })),
        fromModel,
        toModel,
      );
    }
  }
}

/** Tables whose kind or partition key changes: PostgreSQL cannot change either in place. */
export function rebuiltTables(from: SchemaModel, to: SchemaModel): string[] {
  return Object.keys(from.tables).filter((k) => {
    const [f, t] = [from.tables[k], to.tables[k]];
    return t && (f.kind !== t.kind || f.partitionKey !== t.partitionKey);
  });
}

function rebuildReason(f: Table, t: Table): string {
  return f.kind !== t.kind ? `${f.kind} -> ${t.kind}` : `partition key ${f.partitionKey ?? 'none'} -> ${t.partitionKey ?? 'none'}`;
}

function dropTable(ctx: DiffContext, key: string, f: Table, from: SchemaModel, to: SchemaModel, note?: string, answers?: string): void {
  // A sequence it owns that TO keeps is let go of first (sequences.ts); the others go with it.
  const gone = ownedSequencesOf(from, key).filter((s) => !to.sequences[s]);
  const children = Object.entries(from.tables)
    .filter(([k, c]) => c.partitionOf === key && !to.tables[k])
    .map(([k]) => k);
  add(ctx, {
    action: 'drop',
    phase: Phase.table,
    object: `relation ${key}`,
    answers: answers ?? `${f.kind} ${key}: dropped`,
    sql: [`drop ${f.kind === 'foreign table' ? 'foreign table' : 'table'} if exists ${key};`],
    dataLoss:
      `drops ${f.kind} ${key} and every row in it` +
      (gone.length
        ? `, with the sequence${gone.length > 1 ? 's' : ''} it owns (${gone.join(', ')}) and ${gone.length > 1 ? 'their' : 'its'} current value`
        : '') +
      (children.length ? `, and its partitions (${children.join(', ')})` : ''),
    note,
  });
  for (const [n, c] of Object.entries(f.constraints)) {
    if (c.type !== 'foreign key') continue;
    // Before the table it references goes, whatever order the tables are dropped in.
    add(ctx, {
      action: 'drop',
      phase: Phase.foreignKey,
      object: `relation ${key}`,
      answers: `${f.kind} ${key}, constraint ${n}: dropped with its table`,
      sql: [`alter table ${key} drop constraint ${quoteIdent(n)};`],
      frees: freesOf(c.definition),
    });
  }
}

function createTable(ctx: DiffContext, key: string, t: Table, from: SchemaModel, to: SchemaModel, note?: string): void {
  add(ctx, {
    action: 'create',
    phase: Phase.table,
    object: `relation ${key}`,
    answers: `${t.kind} ${key}: created`,
    sql: tableStatements(ctx.render, key, t, { renameCopies: false }),
    note,
  });
  if (t.partitionOf) attachedPartChanges(ctx, key, undefined, t, from, to);
  for (const [n, c] of Object.entries(t.constraints)) {
    if (c.type !== 'foreign key') continue;
    add(ctx, {
      action: 'create',
      phase: Phase.foreignKey,
      object: `relation ${key}`,
      answers: `${t.kind} ${key}, constraint ${n}: added`,
      sql: constraintStatements(key, n, c),
      needs: needsOf(c.definition),
    });
  }
}

function alterTable(ctx: DiffContext, key: string, f: Table, t: Table, parents: ParentPair[], from: SchemaModel, to: SchemaModel): void {
  const object = `relation ${key}`;
  const alter = (what: string, sql: string[], phase = Phase.table) =>
    add(ctx, { action: 'alter', phase, object, answers: `${t.kind} ${key}: ${what}`, sql });
  const at = `alter table ${key}`;
  const attached = attachedPartChanges(ctx, key, f, t, from, to);
  const rebuiltParent = (p: string | undefined) => p !== undefined && ctx.rebuilt.has(`relation ${p}`);
  if (f.partitionOf !== t.partitionOf || f.partitionBound !== t.partitionBound || rebuiltParent(f.partitionOf)) {
    if (f.partitionOf)
      add(ctx, {
        action: 'drop',
        phase: Phase.table,
        object,
        answers: `${t.kind} ${key}: detached from ${f.partitionOf}`,
        sql: [`alter table ${f.partitionOf} detach partition ${key};`, ...attached.afterDetach],
      });
    if (t.partitionOf)
      alter(
        `attached to ${t.partitionOf}`,
        [`alter table ${t.partitionOf} attach partition ${key} ${t.partitionBound};`],
        Phase.constraint,
      );
  }
  const fi = f.inherits ?? [];
  const ti = t.inherits ?? [];
  // A parent dropped and created again takes its children with it unless they let go first.
  const leave = fi.filter((p) => !ti.includes(p) || rebuiltParent(p));
  const join = ti.filter((p) => !fi.includes(p) || rebuiltParent(p));
  if (leave.length)
    add(ctx, {
      action: 'drop',
      phase: Phase.table,
      object,
      answers: `${t.kind} ${key}: inheritance`,
      sql: leave.map((p) => `${at} no inherit ${p};`),
    });
  if (join.length) alter('inheritance', [...join.map((p) => `${at} inherit ${p};`)]);
  if (!f.unlogged !== !t.unlogged)
    add(ctx, {
      action: 'alter',
      phase: Phase.table,
      object,
      answers: `${t.kind} ${key}: ${t.unlogged ? 'unlogged' : 'logged'}`,
      sql: [`${at} set ${t.unlogged ? 'unlogged' : 'logged'};`],
      hazard: `rewrites the table${t.unlogged ? '' : ' and writes all of it to the WAL'} under an ACCESS EXCLUSIVE lock`,
    });
  if (!same(f.options ?? [], t.options ?? [])) {
    const name = (o: string) => o.slice(0, o.indexOf('='));
    const gone = (f.options ?? []).map(name).filter((n) => !(t.options ?? []).some((o) => name(o) === n));
    alter('storage options', [
      ...(gone.length ? [`${at} reset (${gone.join(', ')});`] : []),
      ...(t.options?.length ? [`${at} set (${t.options.join(', ')});`] : []),
    ]);
  }
  columnChanges(ctx, key, f, t, parents, from, to);
  partChanges(
    ctx,
    key,
    f,
    t,
    Object.entries(t.columns).some(([n, c]) => f.columns[n] && (f.columns[n].type !== c.type || f.columns[n].collation !== c.collation)),
    attached.skip,
  );
  const rls: string[] = [];
  if (f.rowSecurity !== t.rowSecurity) rls.push(`${at} ${t.rowSecurity ? 'enable' : 'disable'} row level security;`);
  if (f.forceRowSecurity !== t.forceRowSecurity) rls.push(`${at} ${t.forceRowSecurity ? '' : 'no '}force row level security;`);
  alter('row level security', rls, Phase.policy);
  const ri = (x: Table) =>
    x.replicaIdentity === 'index'
      ? `index ${Object.entries(x.indexes).find(([, i]) => i.replicaIdentity)?.[0]}`
      : (x.replicaIdentity ?? 'default');
  if (ri(f) !== ri(t)) {
    const r = ri(t);
    alter(
      'replica identity',
      [`${at} replica identity ${r.startsWith('index ') ? `using index ${quoteIdent(r.slice(6))}` : r};`],
      Phase.tail,
    );
  }
  alter(
    'owner, comment or privileges',
    [
      ...ownerChange('table', key, f.owner, t.owner),
      ...commentChange(t.kind === 'foreign table' ? 'foreign table' : 'table', key, f.comment, t.comment),
      ...grantsOf('table', key, f.grants, t.grants, [f.owner, t.owner]),
    ],
    Phase.tail,
  );
}

/**
 * Tables that disappear while one with the same columns (names and types) appears may have been
 * renamed or moved to another schema: said beside the drop and the create, never done. Only a
 * pair that has no other candidate on either side is offered.
 */
function renameHints(from: Record<string, Table>, to: Record<string, Table>): Map<string, string> {
  const columns = (x: Table) =>
    JSON.stringify(
      Object.entries(x.columns)
        .map(([n, c]) => `${n} ${c.type}`)
        .sort(),
    );
  const dropped = Object.keys(from).filter((k) => !to[k]);
  const created = Object.keys(to).filter((k) => !from[k]);
  const out = new Map<string, string>();
  for (const d of dropped) {
    const twins = created.filter((c) => columns(to[c]) === columns(from[d]));
    if (twins.length !== 1) continue;
    const c = twins[0];
    if (dropped.filter((o) => columns(from[o]) === columns(to[c])).length !== 1) continue;
    const [f, t] = [from[d], to[c]];
    const how =
      f.schema !== t.schema && f.name === t.name
        ? `moved to schema ${quoteIdent(t.schema)}: if so, write "alter table ${d} set schema ${quoteIdent(t.schema)};"`
        : f.schema === t.schema
          ? `renamed: if so, write "alter table ${d} rename to ${quoteIdent(t.name)};"`
          : `renamed and moved: if so, write "alter table ${d} set schema ${quoteIdent(t.schema)};" and "alter table ${quoteIdent(t.schema)}.${quoteIdent(f.name)} rename to ${quoteIdent(t.name)};"`;
    const hint = `${d} disappears while ${c} appears with the same columns: it may have been ${how} instead of the drop and the create, or its rows are lost`;
    out.set(d, hint);
    out.set(c, hint);
  }
  return out;
}
