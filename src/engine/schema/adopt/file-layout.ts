/**
 * Which files adopt writes, in which order, and what each holds.
 *
 * The order of database.sql is what makes the files load into an empty database:
 *   schemas, extensions, collations -> sequences.sql (those no table owns: they need nothing) ->
 *   types.sql -> functions.sql -> one file per app (sequences owned by its tables, tables, their
 *   primary/unique/check constraints, indexes, triggers, policies) -> functions_late.sql ->
 *   views.sql -> constraints.sql (every foreign key, after every table, so references across
 *   apps work in any order) -> publications.sql (they name tables and schemas) -> default
 *   privileges, so that they add nothing to the objects created above that the original did not
 *   have -> event_triggers.sql, last of all: an event trigger fires on the DDL that follows it.
 * Which of those files a type, function or view goes into: dependency-order.ts.
 */
import type { Sequence, Table } from '../inspect/model';
import { databaseFile } from './database-file';
import { Phase, placeObjects } from './dependency-order';
import type { RenderContext, RenderedFile } from './types';
import { constraintStatements, sequenceStatements, tableStatements, viewStatements } from './sql-relations';
import { eventTriggerStatements, publicationStatements } from './sql-database-wide';
import { routineStatements, typeStatements } from './sql-types-routines';
import { quoteQualified } from '../../../quote';

/** File names an app's file must not take: `app_` goes before an app of that name. */
const SHARED = new Set([
  'database',
  'types',
  'functions',
  'sequences',
  'functions_late',
  'views',
  'constraints',
  'publications',
  'event_triggers',
]);

/** Every file, in the order database.sql includes them; database.sql last. Files with nothing to hold are left out. */
export function layOutFiles(ctx: RenderContext): RenderedFile[] {
  const m = ctx.model;
  const files: RenderedFile[] = [];
  const add = (name: string, lines: string[], summary: string, title: string) => {
    if (lines.length) files.push({ name, content: `-- ${name}: ${title}\n\n${lines.join('\n')}\n`, summary });
  };
  const owned = new Map<string, Sequence[]>();
  const free: Sequence[] = [];
  for (const s of Object.values(m.sequences)) {
    const table = s.ownedBy ? s.ownedBy.slice(0, s.ownedBy.lastIndexOf('.')) : undefined;
    if (table && m.tables[table]) owned.set(table, [...(owned.get(table) ?? []), s]);
    else free.push(s);
  }
  const groups = groupTables(ctx);
  const placed = placeObjects(ctx, free, owned, groups);
  const render = (ids: string[]) => ids.flatMap((id) => objectStatements(ctx, id));

  add(
    'sequences.sql',
    free.flatMap((s) => sequenceStatements(ctx, s)),
    `${free.length} sequences`,
    'sequences that no column owns',
  );
  add('types.sql', render(placed[Phase.types]), count(placed[Phase.types]), 'enums, composite types, ranges and domains');
  add(
    'functions.sql',
    render(placed[Phase.functions]),
    count(placed[Phase.functions]),
    'functions and procedures, and the types that need one of them, in dependency order',
  );

  for (const [app, tables] of groups) {
    const name = SHARED.has(app) ? `app_${app}.sql` : `${app}.sql`;
    const lines: string[] = [];
    const seqs = tables.flatMap(([k]) => owned.get(k) ?? []);
    for (const s of seqs) lines.push(...sequenceStatements(ctx, s));
    for (const [k, t] of tables) lines.push(...tableStatements(ctx, k, t));
    for (const s of seqs) lines.push(`alter sequence ${quoteQualified(s.schema, s.name)} owned by ${s.ownedBy};`, '');
    add(name, lines, `${tables.length} tables`, app === 'other' ? 'tables without an app prefix' : `the tables of app ${app}`);
  }

  add(
    'functions_late.sql',
    render(placed[Phase.late]),
    count(placed[Phase.late]),
    'functions (and types) that need a table: a table type in their signature, a table in their SQL-standard body',
  );
  add(
    'views.sql',
    render(placed[Phase.views]),
    count(placed[Phase.views]),
    'views, and the functions and types that need one, in dependency order',
  );

  const fks = Object.entries(m.tables).flatMap(([k, t]) =>
    Object.entries(t.constraints)
      .filter(([, c]) => c.type === 'foreign key')
      .flatMap(([n, c]) => constraintStatements(k, n, c)),
  );
  add(
    'constraints.sql',
    fks,
    `${fks.filter((l) => l.startsWith('alter table')).length} foreign keys`,
    'foreign keys, after every table so that references across apps work',
  );

  const pubs = Object.entries(m.publications).flatMap(([k, p]) => publicationStatements(ctx, k, p));
  add(
    'publications.sql',
    pubs,
    plural(Object.keys(m.publications).length, 'publication'),
    'logical replication publications, after the tables and schemas they publish',
  );
  const includes = files.map((f) => f.name);
  const events = Object.entries(m.eventTriggers).flatMap(([k, e]) => eventTriggerStatements(ctx, k, e));
  add(
    'event_triggers.sql',
    events,
    plural(Object.keys(m.eventTriggers).length, 'event trigger'),
    'event triggers, included last: they fire on the DDL that follows them',
  );
  const last = files.map((f) => f.name).filter((n) => !includes.includes(n));

  files.push({ name: 'database.sql', content: databaseFile(ctx, includes, last), summary: 'the entry point' });
  return files;
}

/** The statements of a type, function or view, by its `kind key`. */
function objectStatements(ctx: RenderContext, id: string): string[] {
  const key = id.slice(id.indexOf(' ') + 1);
  if (id.startsWith('type ')) return typeStatements(ctx, ctx.model.types[key]);
  if (id.startsWith('function ')) return routineStatements(ctx, key, ctx.model.functions[key]);
  return viewStatements(ctx, key, ctx.model.views[key]);
}

/** The tables of each app, apps by name and `other` last. */
function groupTables(ctx: RenderContext): Map<string, Array<[string, Table]>> {
  const tables = orderTables(ctx.model.tables);
  const groupOf = new Map<string, string>();
  const groups = new Map<string, Array<[string, Table]>>();
  for (const [key, t] of tables) {
    const parent = t.partitionOf ?? t.inherits?.[0];
    // A partition or child goes with its parent: it must come after it.
    const g = parent && groupOf.has(parent) ? groupOf.get(parent)! : appOf(ctx, t.name);
    groupOf.set(key, g);
    groups.set(g, [...(groups.get(g) ?? []), [key, t]]);
  }
  return new Map([...groups].sort(([a], [b]) => (a === 'other' ? 1 : b === 'other' ? -1 : a.localeCompare(b))));
}

function appOf(ctx: RenderContext, table: string): string {
  const apps = [...(ctx.options.apps ?? [])].sort((a, b) => b.length - a.length);
  if (ctx.options.apps?.length) return apps.find((a) => table.startsWith(`${a}_`)) ?? 'other';
  const at = table.indexOf('_');
  const prefix = at > 0 ? table.slice(0, at) : '';
  return /^[a-z0-9]+$/.test(prefix) ? prefix : 'other';
}

/** Parents (partitioned, inherited) before their children; otherwise by name. */
function orderTables(tables: Record<string, Table>): Array<[string, Table]> {
  const done = new Set<string>();
  const out: Array<[string, Table]> = [];
  const visit = (key: string) => {
    if (done.has(key) || !tables[key]) return;
    done.add(key);
    const t = tables[key];
    for (const p of [t.partitionOf, ...(t.inherits ?? [])]) if (p) visit(p);
    out.push([key, t]);
  };
  for (const key of Object.keys(tables)) visit(key);
  return out;
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/** `2 functions, 1 type`: what a list of `kind key`s holds. */
function count(ids: string[]): string {
  const n = (kind: string) => ids.filter((id) => id.startsWith(`${kind} `)).length;
  const parts = [
    [n('type'), 'type'],
    [n('function'), 'function'],
    [n('relation'), 'view'],
  ] as const;
  return (
    parts
      .filter(([c]) => c > 0)
      .map(([c, w]) => `${c} ${w}${c === 1 ? '' : 's'}`)
      .join(', ') || '0'
  );
}
