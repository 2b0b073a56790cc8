/**
 * The order the changes run in, from the dependencies the servers know (pg_depend of both
 * databases, as `inspectDependencies` gives them) and what the model itself says (a partition
 * needs its parent, a child its inherited table):
 *   - every drop first, each before the drops of what it depends on (in the FROM database): a
 *     view goes before the columns it reads, a trigger before its function, a table before its type;
 *   - then creates and alters, each after the changes of what it depends on (in the TO database):
 *     a domain before its table, a function before the default, check or index that calls it.
 * Between changes that depend on nothing of each other, `Phase` decides (in reverse for drops),
 * then the order the writers gave. A cycle (a function returning a table whose default calls
 * it) is broken at its earliest phase.
 */
import type { Dependency, SchemaModel } from '../inspect/model';

import type { Change } from './change';
import { quoteIdent } from '../../../quote';

export function orderChanges(
  changes: Change[],
  from: SchemaModel,
  to: SchemaModel,
  fromDeps: Dependency[],
  toDeps: Dependency[],
): Change[] {
  const drops = changes.filter((c) => c.action === 'drop');
  const rest = changes.filter((c) => c.action !== 'drop');
  const fd = edges(from, fromDeps);
  const td = edges(to, toDeps);
  // A drop of X runs before a drop of what X needs: "X needs Y" means Y's drops wait for X's.
  const orderedDrops = topological(
    drops,
    (c) => c.object,
    (y) => dependentsOf(fd, y),
    (c) => -c.phase,
  );
  const orderedRest = topological(
    rest,
    (c) => c.object,
    (x) => td.get(x) ?? [],
    (c) => c.phase,
  );
  return [...orderedDrops, ...orderedRest];
}

/** `object` -> what it needs, both from pg_depend and from the model (partitions, inheritance). */
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
  for (const [k, e] of Object.entries(model.eventTriggers ?? {})) link(`event trigger ${k}`, `function ${e.function}`);
  for (const [k, p] of Object.entries(model.publications ?? {}))
    for (const t of Object.keys(p.tables)) link(`publication ${k}`, `relation ${t}`);
  return out;
}

function dependentsOf(needs: Map<string, string[]>, y: string): string[] {
  let index = reverse.get(needs);
  if (!index) {
    index = new Map();
    for (const [x, ys] of needs) for (const z of ys) index.set(z, [...(index.get(z) ?? []), x]);
    reverse.set(needs, index);
  }
  // The drops of Y wait for the drops of whatever needs Y.
  return index.get(y) ?? [];
}
const reverse = new WeakMap<Map<string, string[]>, Map<string, string[]>>();

/**
 * Kahn's algorithm over changes: a change waits for every change of the objects `waitsFor` names;
 * among the ready ones, the lowest `rank`, then the earliest given.
 */
function topological(
  changes: Change[],
  objectOf: (c: Change) => string,
  waitsFor: (object: string) => string[],
  rank: (c: Change) => number,
): Change[] {
  const byObject = new Map<string, number[]>();
  changes.forEach((c, i) => byObject.set(objectOf(c), [...(byObject.get(objectOf(c)) ?? []), i]));
  const blockers = changes.map((c) => new Set(waitsFor(objectOf(c)).flatMap((o) => (o === objectOf(c) ? [] : (byObject.get(o) ?? [])))));
  const done = new Array<boolean>(changes.length).fill(false);
  const out: Change[] = [];
  while (out.length < changes.length) {
    let best = -1;
    let fallback = -1;
    for (let i = 0; i < changes.length; i++) {
      if (done[i]) continue;
      const better = (j: number) => j < 0 || rank(changes[i]) < rank(changes[j]);
      if ([...blockers[i]].every((b) => done[b])) {
        if (better(best)) best = i;
      } else if (better(fallback)) fallback = i;
    }
    const pick = best >= 0 ? best : fallback;
    done[pick] = true;
    out.push(changes[pick]);
  }
  return out;
}
