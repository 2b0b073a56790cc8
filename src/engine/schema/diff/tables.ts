/**
 * The changes of tables: created, dropped, or altered property by property (columns in
 * columns.ts; constraints, indexes, triggers, rules, policies and statistics in parts.ts).
 * Creates reuse adopt's writers; foreign keys are changes of their own, after every table.
 */
import type { Table } from '../inspect/model';

import { constraintStatements, tableStatements } from '../adopt/sql-relations';
import { add, Phase, type DiffContext } from './change';
import { columnChanges, type ParentPair } from './columns';
import { partChanges } from './parts';
import { commentChange, grantsOf, keysOf, ownerChange, same } from './pieces';
import { quoteIdent } from '../../../quote';

export function tableChanges(ctx: DiffContext, from: Record<string, Table>, to: Record<string, Table>): void {
  const dropped = Object.keys(from).filter((k) => !to[k]);
  const created = Object.keys(to).filter((k) => !from[k]);
  for (const key of keysOf(from, to)) {
    const f = from[key];
    const t = to[key];
    if (!t)
      dropTable(
        ctx,
        key,
        f,
        renameHint(
          key,
          f,
          created.map((k) => [k, to[k]]),
        ),
      );
    else if (!f)
      createTable(
        ctx,
        key,
        t,
        renameHint(
          key,
          t,
          dropped.map((k) => [k, from[k]]),
          true,
        ),
      );
    else if (f.kind !== t.kind || f.partitionKey !== t.partitionKey) {
      dropTable(ctx, key, f);
      createTable(ctx, key, t);
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
      );
    }
  }
}

function dropTable(ctx: DiffContext, key: string, f: Table, note?: string): void {
  add(ctx, {
    action: 'drop',
    phase: Phase.table,
    object: `relation ${key}`,
    answers: `${f.kind} ${key}: dropped`,
    sql: [`drop ${f.kind === 'foreign table' ? 'foreign table' : 'table'} if exists ${key};`],
    dataLoss: `drops ${f.kind} ${key} and every row in it`,
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
    });
  }
}

function createTable(ctx: DiffContext, key: string, t: Table, note?: string): void {
  add(ctx, {
    action: 'create',
    phase: Phase.table,
    object: `relation ${key}`,
    answers: `${t.kind} ${key}: created`,
    sql: tableStatements(ctx.render, key, t),
    note,
  });
  for (const [n, c] of Object.entries(t.constraints)) {
    if (c.type !== 'foreign key') continue;
    add(ctx, {
      action: 'create',
      phase: Phase.foreignKey,
      object: `relation ${key}`,
      answers: `${t.kind} ${key}, constraint ${n}: added`,
      sql: constraintStatements(key, n, c),
    });
  }
}

function alterTable(ctx: DiffContext, key: string, f: Table, t: Table, parents: ParentPair[]): void {
  const object = `relation ${key}`;
  const alter = (what: string, sql: string[], phase = Phase.table) =>
    add(ctx, { action: 'alter', phase, object, answers: `${t.kind} ${key}: ${what}`, sql });
  const at = `alter table ${key}`;
  if (f.partitionOf !== t.partitionOf || f.partitionBound !== t.partitionBound) {
    if (f.partitionOf)
      add(ctx, {
        action: 'drop',
        phase: Phase.table,
        object,
        answers: `${t.kind} ${key}: detached from ${f.partitionOf}`,
        sql: [`alter table ${f.partitionOf} detach partition ${key};`],
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
  if (!same(fi, ti)) {
    alter('inheritance', [
      ...fi.filter((p) => !ti.includes(p)).map((p) => `${at} no inherit ${p};`),
      ...ti.filter((p) => !fi.includes(p)).map((p) => `${at} inherit ${p};`),
    ]);
  }
  if (!f.unlogged !== !t.unlogged) alter(t.unlogged ? 'unlogged' : 'logged', [`${at} set ${t.unlogged ? 'unlogged' : 'logged'};`]);
  if (!same(f.options ?? [], t.options ?? [])) {
    const name = (o: string) => o.slice(0, o.indexOf('='));
    const gone = (f.options ?? []).map(name).filter((n) => !(t.options ?? []).some((o) => name(o) === n));
    alter('storage options', [
      ...(gone.length ? [`${at} reset (${gone.join(', ')});`] : []),
      ...(t.options?.length ? [`${at} set (${t.options.join(', ')});`] : []),
    ]);
  }
  columnChanges(ctx, key, f, t, parents);
  partChanges(
    ctx,
    key,
    f,
    t,
    Object.entries(t.columns).some(([n, c]) => f.columns[n] && (f.columns[n].type !== c.type || f.columns[n].collation !== c.collation)),
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
 * A table that disappears while one with most of its columns (name and type) appears in the
 * same schema may have been renamed: said beside the drop and the create, never done.
 */
function renameHint(key: string, t: Table, others: Array<[string, Table]>, appearing = false): string | undefined {
  const cols = (x: Table) => new Set(Object.entries(x.columns).map(([n, c]) => `${n} ${c.type}`));
  const mine = cols(t);
  const twin = others.find(([, o]) => {
    if (o.schema !== t.schema) return false;
    const theirs = cols(o);
    const shared = [...mine].filter((c) => theirs.has(c)).length;
    return shared * 2 >= Math.max(mine.size, theirs.size) && shared > 0;
  });
  if (!twin) return undefined;
  const [from, to, newName] = appearing ? [twin[0], key, t.name] : [key, twin[0], twin[1].name];
  return `${from} disappears while ${to} appears with similar columns: if it was renamed, write "alter table ${from} rename to ${quoteIdent(newName)};" instead of the drop and the create, or its rows are lost`;
}
