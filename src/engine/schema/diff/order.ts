/**
 * The order the changes run in: one dependency graph over every change, from what the servers
 * know (pg_depend of both databases, as `inspectDependencies` gives them), what the model says
 * (a partition needs its parent, a child its inherited table, everything its schema) and what
 * each change declares (`needs`: a foreign key needs the table it references; `frees`: a column
 * retyped lets go of its old type).
 *   - A drop of Y runs after the drops of what needs Y in FROM (a view before the columns it
 *     reads, a trigger before its function, a foreign key before the table it references), and
 *     after the changes that free Y (the column that leaves a type or collation).
 *   - A create or alter of X runs after the drops of X, after the creates of X of an earlier
 *     phase (a foreign key after its table, an index after its column), and after the
 *     creates and alters of what X needs in TO (a table after its schema and types, a foreign
 *     key after the table it references); owners, privileges and comments of what it needs
 *     (`Phase.tail`) are not waited for.
 *   - Drops come first: every create and alter waits for every drop, except the drops that wait
 *     for a change (a type dropped once its column has let go of it), which run as soon as that
 *     change has.
 * Between changes that depend on nothing of each other, `Phase` decides (in reverse for drops),
 * then the order the writers gave. A cycle (a function returning a table whose default calls
 * it) is broken at its earliest phase.
 */
import type { Dependency, SchemaModel } from '../inspect/model';

import { Phase, type Change } from './change';
import { quoteIdent } from '../../../quote';

export function orderChanges(
  changes: Change[],
  from: SchemaModel,
  to: SchemaModel,
  fromDeps: Dependency[],
  toDeps: Dependency[],
): Change[] {
  const fd = edges(from, fromDeps);
  const td = edges(to, toDeps);
  const n = changes.length;
  const isDrop = (i: number) => changes[i].action === 'drop';
  const byObject = new Map<string, number[]>();
  changes.forEach((c, i) => byObject.set(c.object, [...(byObject.get(c.object) ?? []), i]));
  const of = (object: string, keep: (j: number) => boolean) => (byObject.get(object) ?? []).filter(keep);
  const freers = new Map<string, number[]>();
  changes.forEach((c, i) => {
    for (const f of c.frees ?? []) freers.set(f, [...(freers.get(f) ?? []), i]);
  });
  const needersInFrom = reverseOf(fd);

  const waits: Array<Set<number>> = changes.map(() => new Set());
  for (let i = 0; i < n; i++) {
    const c = changes[i];
    const w = waits[i];
    if (isDrop(i)) {
      for (const x of needersInFrom.get(c.object) ?? []) for (const j of of(x, isDrop)) w.add(j);
      for (const j of freers.get(c.object) ?? []) w.add(j);
    } else {
      const pre = c.phase < Phase.tail;
      for (const y of [...(td.get(c.object) ?? []), ...(c.needs ?? [])]) {
        if (y === c.object) continue;
        for (const j of of(y, (j) => !isDrop(j) && (!pre || changes[j].phase < Phase.tail))) w.add(j);
      }
      for (const j of of(c.object, isDrop)) w.add(j);
      for (const j of of(c.object, (j) => changes[j].action === 'create' && changes[j].phase < c.phase)) w.add(j);
    }
    w.delete(i);
  }
  // Late drops: those that wait for a create or alter, directly or through another drop.
  const late = new Array<boolean>(n).fill(false);
  for (let again = true; again;) {
    again = false;
    for (let i = 0; i < n; i++) {
      if (late[i] || !isDrop(i)) continue;
      if ([...waits[i]].some((j) => !isDrop(j) || late[j])) late[i] = again = true;
    }
  }
  const early = [...Array(n).keys()].filter((i) => isDrop(i) && !late[i]);
  for (let i = 0; i < n; i++) if (!isDrop(i)) for (const j of early) waits[i].add(j);
  const rank = (i: number) => (isDrop(i) ? -1000 - changes[i].phase : changes[i].phase);
  return topological(waits, rank).map((i) => changes[i]);
}

/** `object` -> what it needs, both from pg_depend and from the model (partitions, inheritance, schemas). */
function edges(model: SchemaModel, deps: Dependency[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const link = (a: string, b: string) => {
    if (a !== b) out.set(a, [...(out.get(a) ?? []), b]);
  };
  for (const d of deps) link(`${d.object.kind} ${d.object.name}`, `${d.on.kind} ${d.on.name}`);
  for (const [k, t] of Object.entries(model.tables)) {
    for (const p of [t.partitionOf, ...(t.inherits ?? [])]) if (p) link(`relation ${k}`, `relation ${p}`);
    // Objects in a schema need the schema.
    link(`relation ${k}`, `schema ${quoteIdent(t.schema)}`);
  }
  for (const [k, o] of [...Object.entries(model.views), ...Object.entries(model.sequences)])
    link(`relation ${k}`, `schema ${quoteIdent(o.schema)}`);
  for (const [k, o] of Object.entries(model.types)) link(`type ${k}`, `schema ${quoteIdent(o.schema)}`);
  for (const [k, o] of Object.entries(model.functions)) link(`function ${k}`, `schema ${quoteIdent(o.schema)}`);
  for (const [k, o] of Object.entries(model.collations)) link(`collation ${k}`, `schema ${quoteIdent(o.schema)}`);
  for (const [k, e] of Object.entries(model.eventTriggers ?? {})) link(`event trigger ${k}`, `function ${e.function}`);
  for (const [k, p] of Object.entries(model.publications ?? {}))
    for (const t of Object.keys(p.tables)) link(`publication ${k}`, `relation ${t}`);
  // A table needs the collations of its columns (pg_depend has them, but not as model objects).
  for (const [k, t] of Object.entries(model.tables))
    for (const c of Object.values(t.columns)) if (c.collation?.includes('.')) link(`relation ${k}`, `collation ${c.collation}`);
  // Foreign keys are not in the dependencies (adopt writes them last): each key's change says
  // what it needs and frees (see tables.ts), so that two tables referencing each other are no cycle.
  return out;
}

function reverseOf(needs: Map<string, string[]>): Map<string, string[]> {
  const index = new Map<string, string[]>();
  for (const [x, ys] of needs) for (const y of ys) index.set(y, [...(index.get(y) ?? []), x]);
  return index;
}

/**
 * Kahn's algorithm: a change waits for the changes `waits` lists; among the ready ones, the
 * lowest `rank`, then the earliest given. In a cycle, the lowest-ranked change left goes first.
 */
function topological(waits: Array<Set<number>>, rank: (i: number) => number): number[] {
  const n = waits.length;
  const pending = waits.map((w) => w.size);
  const dependents: number[][] = waits.map(() => []);
  waits.forEach((w, i) => {
    for (const j of w) dependents[j].push(i);
  });
  const heap = new Heap((a, b) => rank(a) - rank(b) || a - b);
  for (let i = 0; i < n; i++) if (!pending[i]) heap.push(i);
  const done = new Array<boolean>(n).fill(false);
  const out: number[] = [];
  const finish = (i: number) => {
    done[i] = true;
    out.push(i);
    for (const d of dependents[i]) if (!done[d] && --pending[d] === 0) heap.push(d);
  };
  while (out.length < n) {
    const next = heap.pop();
    if (next !== undefined) {
      if (!done[next]) finish(next);
      continue;
    }
    let pick = -1;
    for (let i = 0; i < n; i++) if (!done[i] && (pick < 0 || rank(i) < rank(pick))) pick = i;
    finish(pick);
  }
  return out;
}

class Heap {
  private readonly items: number[] = [];
  constructor(private readonly less: (a: number, b: number) => number) {}
  push(x: number): void {
    const a = this.items;
    a.push(x);
    for (let i = a.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (this.less(a[i], a[p]) >= 0) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  pop(): number | undefined {
    const a = this.items;
    if (!a.length) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      for (let i = 0; ;) {
        const [l, r] = [2 * i + 1, 2 * i + 2];
        let m = i;
        if (l < a.length && this.less(a[l], a[m]) < 0) m = l;
        if (r < a.length && this.less(a[r], a[m]) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}
