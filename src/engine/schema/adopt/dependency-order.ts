/**
 * Which file each type, function and view goes into, and in which order within it.
 *
 * Types, functions and views are written in the order their dependencies need (pg_depend, given
 * as `RenderOptions.dependencies`): each into the first of those files that may hold it and comes
 * after everything it needs, and after what it needs within the file. So a domain whose CHECK
 * calls a function is written in functions.sql after it, a function whose signature or
 * SQL-standard body names a table in functions_late.sql, one that names a view in views.sql.
 * Tables stay in their app's file; what they need (column types, functions of defaults, checks
 * and triggers) comes before it, or adopt says so (`notCarried`).
 *
 * Objects are named here by a `kind key` id: `type myapp.isbn13`, `function myapp.f(text)`,
 * `relation myapp.book` (tables, views and sequences), as in `Dependency`.
 */
import type { Dependency, Sequence, Table } from '../inspect/model';
import type { RenderContext } from './types';
import { quoteQualified } from '../../../quote';

/** The files types, functions and views can go into, in load order (apps: never them; see `placeObjects`). */
export enum Phase {
  sequences,
  types,
  functions,
  apps,
  late,
  views,
}

/**
 * The types, functions and views of each file, in the order to write them. An object goes
 * into the first file that may hold its kind and comes after every file holding something it
 * depends on; within a file, after what it depends on (depth first, dependencies first, else
 * the usual order: enums, composites, ranges, domains, then by name). What cannot be placed
 * so (a table needing a function that needs a table, a cycle) is reported in `notCarried`.
 * `free`, `owned` and `groups` are where the sequences and tables go (see file-layout.ts).
 */
export function placeObjects(
  ctx: RenderContext,
  free: Sequence[],
  owned: Map<string, Sequence[]>,
  groups: Map<string, Array<[string, Table]>>,
): Record<Phase, string[]> {
  const m = ctx.model;
  const deps = dependencies(ctx);
  const fixed = new Map<string, Phase>();
  for (const s of free) fixed.set(`relation ${quoteQualified(s.schema, s.name)}`, Phase.sequences);
  for (const seqs of owned.values()) for (const s of seqs) fixed.set(`relation ${quoteQualified(s.schema, s.name)}`, Phase.apps);
  for (const k of Object.keys(m.tables)) fixed.set(`relation ${k}`, Phase.apps);

  const rank = { enum: 0, composite: 1, range: 2, domain: 3 };
  const movable = new Set([
    ...Object.entries(m.types)
      .sort(([ka, a], [kb, b]) => rank[a.kind] - rank[b.kind] || compare(ka, kb))
      .map(([k]) => `type ${k}`),
    ...Object.keys(m.functions).map((k) => `function ${k}`),
    ...Object.keys(m.views).map((k) => `relation ${k}`),
  ]);
  const base = (id: string): Phase => (id.startsWith('type ') ? Phase.types : id.startsWith('function ') ? Phase.functions : Phase.views);
  const phase = new Map<string, Phase>();
  const phaseOf = (id: string, path: Set<string>): Phase | undefined => {
    const f = fixed.get(id);
    if (f !== undefined) return f;
    if (!movable.has(id)) return undefined;
    if (phase.has(id)) return phase.get(id);
    if (path.has(id)) return undefined; // a cycle: reported below
    path.add(id);
    let p = base(id);
    for (const d of deps.get(id) ?? []) {
      const q = phaseOf(d, path);
      // No type, function or view goes into an app's file: after one, the next file is functions_late.sql.
      if (q !== undefined) p = Math.max(p, q === Phase.apps ? Phase.late : q);
    }
    path.delete(id);
    phase.set(id, p);
    return p;
  };
  const out: Record<Phase, string[]> = {
    [Phase.sequences]: [],
    [Phase.types]: [],
    [Phase.functions]: [],
    [Phase.apps]: [],
    [Phase.late]: [],
    [Phase.views]: [],
  };
  for (const id of movable) out[phaseOf(id, new Set())!].push(id);
  for (const p of [Phase.types, Phase.functions, Phase.late, Phase.views]) out[p] = dependenciesFirst(out[p], deps);

  // Where each object ends up, in load order: whatever needs something created after it is reported.
  const position = new Map<string, number>();
  const at = (id: string) => position.set(id, position.size);
  for (const s of free) at(`relation ${quoteQualified(s.schema, s.name)}`);
  for (const id of [...out[Phase.types], ...out[Phase.functions]]) at(id);
  for (const [, tables] of groups) {
    for (const [k] of tables) for (const s of owned.get(k) ?? []) at(`relation ${quoteQualified(s.schema, s.name)}`);
    for (const [k] of tables) at(`relation ${k}`);
  }
  for (const id of [...out[Phase.late], ...out[Phase.views]]) at(id);
  for (const [id, needs] of deps) {
    const later = needs.filter((d) => position.has(d) && position.has(id) && position.get(d)! > position.get(id)!);
    if (later.length) {
      ctx.notCarried.push({
        object: describe(ctx, id),
        reason: `written before ${later.map((d) => describe(ctx, d)).join(', ')}, which it needs: the files will not load until it is moved after it by hand`,
      });
    }
  }
  return out;
}

/** `kind key` -> the `kind key`s it depends on, from pg_depend or, without it, from the model's texts. */
function dependencies(ctx: RenderContext): Map<string, string[]> {
  const m = ctx.model;
  const relationNames = [...Object.keys(m.tables), ...Object.keys(m.views)];
  const edges: Dependency[] = ctx.options.dependencies ?? [
    ...Object.entries(m.functions).flatMap(([k, f]) =>
      relationNames
        .filter((n) => mentions(`${f.arguments} ${f.returns ?? ''}`, n))
        .map((n): Dependency => ({ object: { kind: 'function', name: k }, on: { kind: 'relation', name: n } })),
    ),
    ...Object.entries(m.views).flatMap(([k, v]) =>
      Object.keys(m.views)
        .filter((n) => n !== k && mentions(v.definition, n))
        .map((n): Dependency => ({ object: { kind: 'relation', name: k }, on: { kind: 'relation', name: n } })),
    ),
  ];
  const out = new Map<string, string[]>();
  for (const e of edges) {
    const [a, b] = [`${e.object.kind} ${e.object.name}`, `${e.on.kind} ${e.on.name}`];
    if (a !== b && !out.get(a)?.includes(b)) out.set(a, [...(out.get(a) ?? []), b]);
  }
  for (const list of out.values()) list.sort(compare);
  return out;
}

/** `domain myapp.isbn13`, `function myapp.f(text)`, `table myapp.book`: a `kind key` for people. */
function describe(ctx: RenderContext, id: string): string {
  const m = ctx.model;
  const [of, key] = [id.slice(0, id.indexOf(' ')), id.slice(id.indexOf(' ') + 1)];
  if (of === 'type') return `${m.types[key]?.kind === 'domain' ? 'domain' : 'type'} ${key}`;
  if (of === 'function') return `${m.functions[key]?.kind ?? 'function'} ${key}`;
  return `${m.tables[key]?.kind ?? m.views[key]?.kind ?? 'sequence'} ${key}`;
}

/** `ids` with each one's dependencies among them first (depth first); otherwise in the given order. */
function dependenciesFirst(ids: string[], deps: Map<string, string[]>): string[] {
  const here = new Set(ids);
  const done = new Set<string>();
  const out: string[] = [];
  const visit = (id: string) => {
    if (done.has(id)) return;
    done.add(id);
    for (const d of deps.get(id) ?? []) if (here.has(d)) visit(d);
    out.push(id);
  };
  for (const id of ids) visit(id);
  return out;
}

/** Whether a deparsed text names the (qualified) object `name`, not merely one whose name ends or starts the same. */
function mentions(text: string, name: string): boolean {
  return new RegExp(`(^|[^\\w."])${escapeRe(name)}($|[^\\w"])`).test(text);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
