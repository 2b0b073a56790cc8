/**
 * An extension whose version goes down: extensions ship update scripts upwards only, so
 * `ALTER EXTENSION ... UPDATE TO` an older version fails ("no update path"). The only way is to
 * drop the extension and create it at the older version, with what depends on it around that:
 * columns of its types go through text and back (their values kept), indexes and constraints
 * that use its types, operator classes or functions, defaults that call its functions, and
 * views and functions over them are dropped before and created again after. The drop is marked
 * DATA LOSS: what the extension keeps of its own (its tables, its configuration) goes with it.
 */
import type { Dependency, SchemaModel } from '../inspect/model';

export interface ExtensionRebuild {
  /** The extensions dropped and created again, by key. */
  extensions: Set<string>;
  /** Their types, functions and operator classes, as dependency ids (`type public.hstore`). */
  members: Set<string>;
  /** The qualified names of their types and operator classes, as deparsed texts write them. */
  names: string[];
  /** Columns of their types, by table: through text while the extension is created again. */
  columns: Map<string, Map<string, string>>;
}

/** Whether version `a` is older than `b` (numbers compared as numbers: 1.9 < 1.10). */
export function olderVersion(a: string, b: string): boolean {
  const pa = a.split(/(\d+)/).filter(Boolean);
  const pb = b.split(/(\d+)/).filter(Boolean);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const [x, y] = [pa[i] ?? '', pb[i] ?? ''];
    if (x === y) continue;
    if (/^\d+$/.test(x) && /^\d+$/.test(y)) return Number(x) < Number(y);
    return x < y;
  }
  return false;
}

export function planExtensionRebuild(from: SchemaModel, to: SchemaModel, fromDeps: Dependency[]): ExtensionRebuild {
  const extensions = new Set(
    Object.keys(from.extensions).filter((k) => {
      const [f, t] = [from.extensions[k], to.extensions[k]];
      return t && f.schema === t.schema && olderVersion(t.version, f.version);
    }),
  );
  const members = new Set<string>();
  const owner = new Map<string, string>();
  for (const d of fromDeps) {
    if (d.on.kind !== 'extension' || !extensions.has(d.on.name)) continue;
    members.add(`${d.object.kind} ${d.object.name}`);
    owner.set(d.object.name, d.on.name);
  }
  const names = [...members].filter((m) => !m.startsWith('function ')).map((m) => m.slice(m.indexOf(' ') + 1));
  const types = new Set([...members].filter((m) => m.startsWith('type ')).map((m) => m.slice(5)));
  const columns = new Map<string, Map<string, string>>();
  for (const [k, t] of Object.entries(from.tables)) {
    for (const [n, c] of Object.entries(t.columns)) {
      const element = c.type.replace(/(\[\])+$/, '');
      if (!types.has(element) || to.tables[k]?.columns[n]?.type !== c.type) continue;
      if (!columns.has(k)) columns.set(k, new Map());
      columns.get(k)!.set(n, owner.get(element)!);
    }
  }
  return { extensions, members, names, columns };
}

/** Whether a deparsed text (an index, a constraint) uses one of the rebuilt extensions' types or operator classes, or one of `columns`. */
export function usesRebuiltExtension(plan: ExtensionRebuild, text: string, columns: string[] = []): boolean {
  return (
    plan.names.some((n) => text.includes(n)) ||
    columns.some((c) => new RegExp(`(^|[^\\w"])${c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w"])`).test(text))
  );
}
