/**
 * `planDiff`: the changes that turn one schema model (FROM) into another (TO), in an order that
 * runs. A pure function: models and their dependencies in, changes out.
 *
 * It never renames: a table or column that disappears while a similar one appears is a drop
 * and an add, with the rename offered in a note. Column order is left alone.
 */
import { mainOwnerOf, type RenderContext } from '../adopt/render';
import type { Dependency, SchemaModel } from '../inspect/model';

import type { Change, DiffContext } from './change';
import { defaultPrivilegeChanges, eventTriggerChanges, publicationChanges } from './database-wide';
import { collationChanges, extensionChanges, routineChanges, schemaChanges, viewChanges } from './objects';
import { planExtensionRebuild } from './extensions';
import { orderChanges } from './order';
import { same } from './pieces';
import { planSequences, sequenceChanges } from './sequences';
import { rebuiltTables, tableChanges } from './tables';
import { columnsOfType, replacedTypes, typeChanges } from './types';
import { quoteQualified } from '../../../quote';

export interface PlanInput {
  from: SchemaModel;
  to: SchemaModel;
  /** pg_depend of each database (`inspectDependencies`); without them, only what the models say. */
  fromDependencies?: Dependency[];
  toDependencies?: Dependency[];
}

export function planDiff(input: PlanInput): Change[] {
  const { from, to } = input;
  const fromDeps = input.fromDependencies ?? [];
  const toDeps = input.toDependencies ?? [];
  const render: RenderContext = { model: to, options: {}, mainOwner: mainOwnerOf(to) ?? mainOwnerOf(from), notCarried: [] };
  const rebuilt = new Set(rebuiltTables(from, to).map((k) => `relation ${k}`));
  const extensions = planExtensionRebuild(from, to, fromDeps);
  const recreate = dependentsToRecreate(
    from,
    fromDeps,
    to,
    new Set([...rebuilt, ...extensions.members, ...[...extensions.columns.keys()].map((k) => `relation ${k}`)]),
  );
  const rebuiltFunctions = Object.entries(from.functions)
    .filter(([k, f]) => {
      const t = to.functions[k];
      // Dropped ones too: an overload with other arguments is another function, and what calls it by name must let go.
      return !t || recreate.has(`function ${k}`) || f.kind !== t.kind || f.returns !== t.returns || f.arguments !== t.arguments;
    })
    .map(([, f]) => `${quoteQualified(f.schema, f.name)}(`)
    // The functions of an extension dropped and created again: what calls them lets go first.
    .concat([...extensions.members].filter((m) => m.startsWith('function ')).map((m) => m.slice(9, m.indexOf('(') + 1)));
  const ctx: DiffContext = {
    render,
    out: [],
    rebuiltFunctions,
    rebuilt,
    sequences: planSequences(from, to, rebuilt),
    keysDropped: droppedKeys(from, to),
    unvalidated: unvalidatedChecks(from, to),
    extensions,
  };
  schemaChanges(ctx, from.schemas, to.schemas);
  extensionChanges(ctx, from.extensions, to.extensions);
  collationChanges(ctx, from.collations, to.collations);
  typeChanges(ctx, from, to);
  sequenceChanges(ctx, from, to);
  routineChanges(ctx, from.functions, to.functions, recreate);
  tableChanges(ctx, from, to);
  viewChanges(ctx, from.views, to.views, recreate);
  publicationChanges(ctx, from, to);
  eventTriggerChanges(ctx, from, to);
  defaultPrivilegeChanges(ctx, from, to);
  return orderChanges(ctx.out, from, to, fromDeps, toDeps);
}

/**
 * A child's validated copy of its parent's NOT VALID check that TO has not validated: no ALTER
 * takes a validation back, so the parent's check is dropped and added again, NOT VALID (as
 * `table name`, the parent's).
 */
function unvalidatedChecks(from: SchemaModel, to: SchemaModel): Set<string> {
  const out = new Set<string>();
  for (const [k, f] of Object.entries(from.tables)) {
    const t = to.tables[k];
    if (!t) continue;
    for (const [n, c] of Object.entries(f.constraints)) {
      if (!c.inherited || t.constraints[n]?.inherited) continue;
      for (const p of [f.partitionOf, ...(f.inherits ?? [])]) if (p && from.tables[p]?.constraints[n]) out.add(`${p} ${n}`);
    }
  }
  return out;
}

/**
 * The keys (primary key, unique constraint or index) each table loses or changes, as
 * `table(columns)`: a foreign key referencing one is dropped before and added again after.
 */
function droppedKeys(from: SchemaModel, to: SchemaModel): Set<string> {
  const out = new Set<string>();
  const list = (d: string) => /\(([^()]*)\)/.exec(d)?.[0];
  for (const [k, f] of Object.entries(from.tables)) {
    const t = to.tables[k];
    if (!t) continue;
    for (const [n, c] of Object.entries(f.constraints))
      if (
        (c.type === 'primary key' || c.type === 'unique') &&
        !same({ ...c, comment: undefined }, { ...t.constraints[n], comment: undefined })
      )
        out.add(`${k}${list(c.definition)}`);
    for (const [n, i] of Object.entries(f.indexes))
      if (i.unique && !same({ ...i, comment: undefined }, { ...t.indexes[n], comment: undefined })) out.add(`${k}${list(i.definition)}`);
  }
  return out;
}

/**
 * Views and functions that must be dropped and created again because something they read
 * changes under them (PostgreSQL refuses to change the type of, or drop, a column a view reads,
 * and to drop a function or view another one needs): those in FROM that depend, directly or
 * not, on a table losing or retyping a column, on a view or function that is dropped or
 * rebuilt, or on a type that is. Only those that also exist in TO are rebuilt; the others go anyway.
 */
function dependentsToRecreate(from: SchemaModel, deps: Dependency[], to: SchemaModel, more: Set<string>): Set<string> {
  const seeds = new Set<string>(more);
  for (const [k, f] of Object.entries(from.tables)) {
    const t = to.tables[k];
    if (
      !t ||
      Object.entries(f.columns).some(([n, c]) => !t.columns[n] || c.type !== t.columns[n].type || c.collation !== t.columns[n].collation)
    )
      seeds.add(`relation ${k}`);
  }
  for (const [k, f] of Object.entries(from.views))
    if (!to.views[k] || f.definition !== to.views[k].definition || f.kind !== to.views[k].kind) seeds.add(`relation ${k}`);
  for (const [k, f] of Object.entries(from.functions)) {
    const t = to.functions[k];
    if (!t || f.returns !== t.returns || f.arguments !== t.arguments || f.kind !== t.kind) seeds.add(`function ${k}`);
  }
  for (const [k, f] of Object.entries(from.types)) {
    const t = to.types[k];
    if (!t || (f.kind !== 'enum' && f.kind !== 'domain' && f.kind !== 'composite' && !same(f, t))) seeds.add(`type ${k}`);
  }
  for (const k of replacedTypes(from, to)) for (const u of columnsOfType(from, to, k)) seeds.add(`relation ${u.table}`);
  const dependents = new Map<string, string[]>();
  for (const d of deps) {
    const [x, y] = [`${d.object.kind} ${d.object.name}`, `${d.on.kind} ${d.on.name}`];
    dependents.set(y, [...(dependents.get(y) ?? []), x]);
  }
  const out = new Set<string>();
  const rebuildable = (id: string) => (id.startsWith('relation ') && Boolean(from.views[id.slice(9)])) || id.startsWith('function ');
  const visit = (id: string) => {
    for (const x of dependents.get(id) ?? []) {
      if (out.has(x) || !rebuildable(x)) continue;
      out.add(x);
      visit(x);
    }
  };
  for (const s of seeds) visit(s);
  return out;
}
