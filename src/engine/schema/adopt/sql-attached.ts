/**
 * The parts PostgreSQL makes by itself on a partition: when a partition is created or attached,
 * or its parent gains an index or key, the partition gets its copy of each of the parent's
 * indexes and primary key, unique or exclusion constraints, attached to the parent's, under a
 * name PostgreSQL chooses (`ChooseIndexName`: `m_2025_at_idx`, `m_2025_pkey`) unless the
 * partition already had a matching index of its own, which is attached instead. pg_dump shows
 * those names, so a copy whose name is not the one PostgreSQL chooses is renamed afterwards.
 */
import type { Constraint, Index, SchemaModel, Table } from '../inspect/model';
import { quoteIdent, quoteLiteral, quoteQualified } from '../../../quote';

/** A partition's part attached to its parent's: an index, or the index of a key constraint. */
export interface AttachedPart {
  name: string;
  /** The parent's part it is attached to. */
  attachedTo: string;
  /** What `ChooseIndexName` calls it: `idx`, `pkey`, `key` or `excl`. */
  label: 'idx' | 'pkey' | 'key' | 'excl';
  /** The parenthesised column lists of its definition, INCLUDE's too: `(id, at)`, `(a, b)`. */
  columns: string;
  /** The definition without name or attachment, to match an index the partition already has. */
  shape: string;
}

/** The attached parts of a partition (none for a table that is not one). */
export function attachedParts(t: Table): AttachedPart[] {
  const out: AttachedPart[] = [];
  for (const [name, i] of Object.entries(t.indexes)) if (i.attachedTo) out.push({ name, ...indexPart(i) });
  for (const [name, c] of Object.entries(t.constraints)) if (c.attachedTo) out.push({ name, ...constraintPart(c) });
  return out;
}

/** The own index (or key constraint) of `t` that PostgreSQL would attach for `part`, if any. */
export function matchingOwnPart(t: Table, part: AttachedPart): string | undefined {
  for (const [name, i] of Object.entries(t.indexes)) if (!i.attachedTo && indexPart(i).shape === part.shape) return name;
  for (const [name, c] of Object.entries(t.constraints))
    if (
      !c.attachedTo &&
      (c.type === 'primary key' || c.type === 'unique' || c.type === 'exclusion') &&
      constraintPart(c).shape === part.shape
    )
      return name;
  return undefined;
}

function indexPart(i: Index): Omit<AttachedPart, 'name'> {
  const { attachedTo, comment: _c, replicaIdentity: _r, valid: _v, ...rest } = i;
  return { attachedTo: attachedTo!, label: 'idx', columns: withIncluded(i.definition), shape: JSON.stringify(rest) };
}

function constraintPart(c: Constraint): Omit<AttachedPart, 'name'> {
  const { attachedTo, comment: _c, valid: _v, ...rest } = c;
  const label = c.type === 'primary key' ? 'pkey' : c.type === 'exclusion' ? 'excl' : 'key';
  return { attachedTo: attachedTo!, label, columns: withIncluded(c.definition), shape: JSON.stringify(rest) };
}

/** The key columns and the INCLUDE columns as one list: ChooseIndexColumnNames names them all. */
function withIncluded(definition: string): string {
  const keys = firstList(definition) ?? '()';
  const at = definition.indexOf(' INCLUDE (', definition.indexOf(keys) + keys.length);
  const included = at >= 0 ? firstList(definition, at) : undefined;
  return included ? `${keys.slice(0, -1)}, ${included.slice(1)}` : keys;
}

/** The first parenthesised list of a definition, with its nested parentheses: `(id, lower(name))`. */
function firstList(definition: string, from = 0): string | undefined {
  const start = definition.indexOf('(', from);
  if (start < 0) return undefined;
  let depth = 0;
  let quoted = false;
  for (let i = start; i < definition.length; i++) {
    const ch = definition[i];
    if (ch === '"') quoted = !quoted;
    else if (quoted) continue;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return definition.slice(start, i + 1);
  }
  return undefined;
}

const NAMEDATALEN = 64;

/**
 * The name PostgreSQL gives the copy of `part` it makes on partition `table` (ChooseIndexName:
 * the table's name, the columns' names and the label, cut to 63 bytes), or undefined when the
 * model cannot tell (an expression it cannot name, a name that is not ASCII, or a clash with
 * another relation of the schema, which PostgreSQL resolves by numbering).
 */
export function chosenName(table: Table, part: AttachedPart, taken: Set<string>): string | undefined {
  const columns = part.label === 'pkey' ? [] : columnNames(part.columns);
  if (!columns || new Set(columns).size !== columns.length) return undefined;
  const name2 = part.label === 'pkey' ? '' : addition(columns);
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(table.name + name2)) return undefined;
  const name = objectName(table.name, name2, part.label);
  return taken.has(name) && name !== part.name ? undefined : name;
}

/** ChooseIndexNameAddition: the column names joined by `_`, stopping once past 63 bytes. */
function addition(columns: string[]): string {
  let out = '';
  for (const c of columns) {
    if (out) out += '_';
    out += c;
    if (out.length >= NAMEDATALEN) break;
  }
  return out;
}

/** makeObjectName: name1_name2_label, the longer of name1 and name2 cut first to fit 63 bytes (ASCII names). */
export function objectName(name1: string, name2: string, label: string): string {
  const available = NAMEDATALEN - 1 - (name2 ? 1 : 0) - (label.length + 1);
  let [n1, n2] = [name1.length, name2.length];
  while (n1 + n2 > available) {
    if (n1 > n2) n1--;
    else n2--;
  }
  return [name1.slice(0, n1), ...(name2 ? [name2.slice(0, n2)] : []), label].join('_');
}

/**
 * The names `ChooseIndexColumnNames` gives the elements of an index's column list: a column's
 * own name, a function call's function name; undefined for anything else (an expression).
 */
function columnNames(list: string): string[] | undefined {
  const inner = list.slice(1, -1);
  const out: string[] = [];
  for (const element of splitTopLevel(inner)) {
    const m = /^((?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)(?:\.(?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*))*)(\(|\s|$)/.exec(element.trim());
    if (!m) return undefined;
    const last = m[1].match(/"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*/g)!.pop()!;
    // A function call is named after its function; a column, after itself.
    if (m[2] !== '(' && m[1].includes('.')) return undefined;
    out.push(last.startsWith('"') ? last.slice(1, -1).replace(/""/g, '"') : last);
  }
  return out;
}

function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (quoted) continue;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(text.slice(from, i));
      from = i + 1;
    }
  }
  out.push(text.slice(from));
  return out;
}

/** The name PostgreSQL gives an identity column's sequence when it is free: `book_id_seq`. */
export function defaultSequenceName(table: { schema: string; name: string }, column: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(table.name + column) ? undefined : quoteQualified(table.schema, objectName(table.name, column, 'seq'));
}

/** Relation names (tables, views, sequences, indexes) of a schema in the models, for `chosenName`. */
export function relationNames(schema: string, ...models: SchemaModel[]): Set<string> {
  const out = new Set<string>();
  for (const m of models) {
    for (const map of [m.tables, m.views, m.sequences]) {
      for (const o of Object.values(map)) {
        if (o.schema !== schema) continue;
        out.add(o.name);
        if ('indexes' in o) for (const n of Object.keys(o.indexes)) out.add(n);
        if ('constraints' in o) for (const n of Object.keys(o.constraints)) out.add(n);
      }
    }
  }
  return out;
}

/**
 * The statement that gives the copy of `part` on `table` its name: a plain rename of `from` when
 * the name it has is known, else a DO block that finds the index attached to the parent's part.
 */
export function renameAttached(tableKey: string, table: Table, parent: Table, part: AttachedPart, from?: string): string {
  if (from !== undefined) return `alter index ${quoteQualified(table.schema, from)} rename to ${quoteIdent(part.name)};`;
  const parentPart = quoteQualified(parent.schema, part.attachedTo);
  return [
    `-- the copy of ${parentPart} that PostgreSQL made on ${tableKey}, named as in the schema`,
    `do $pgpatch$ begin execute coalesce((select format('alter index %s rename to %I', i.indexrelid::regclass, ${quoteLiteral(part.name)})`,
    `  from pg_index i join pg_inherits h on h.inhrelid = i.indexrelid join pg_class c on c.oid = i.indexrelid`,
    `  where i.indrelid = ${quoteLiteral(tableKey)}::regclass and h.inhparent = ${quoteLiteral(parentPart)}::regclass`,
    `    and c.relname <> ${quoteLiteral(part.name)}), 'select'); end $pgpatch$;`,
  ].join('\n');
}
