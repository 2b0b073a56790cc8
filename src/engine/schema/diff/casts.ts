/**
 * The USING expression of a column's type change. PostgreSQL has casts between most built-in
 * types, from any type to the string types and back (through text), but none between some
 * (bigint to timestamp, uuid to bigint) nor from one enum to another. For an enum the way is
 * through text. Where no cast exists, no tool can guess the conversion: the expression is a
 * placeholder that fails loudly on any row that is not NULL ("invalid input syntax ... write the
 * USING expression ..."), so that it runs on an empty table and stops on a table with data.
 * Types this file does not know (domains, extensions' types) get a plain cast.
 */
import type { SchemaModel } from '../inspect/model';
import { quoteIdent } from '../../../quote';

export interface Conversion {
  using: string;
  /** Set when the conversion is a placeholder: what a person must write. */
  placeholder?: string;
}

const CATEGORY: Array<[RegExp, string]> = [
  [/^(smallint|integer|bigint|real|double precision|numeric(\(.*\))?)$/, 'number'],
  [/^(text|character varying(\(\d+\))?|character(\(\d+\))?|"char"|name)$/, 'string'],
  [/^date$/, 'date'],
  [/^timestamp(\(\d\))? without time zone$/, 'timestamp'],
  [/^timestamp(\(\d\))? with time zone$/, 'timestamptz'],
  [/^time(\(\d\))? without time zone$/, 'time'],
  [/^time(\(\d\))? with time zone$/, 'timetz'],
  [/^interval/, 'interval'],
  [/^boolean$/, 'boolean'],
  [/^uuid$/, 'uuid'],
  [/^bytea$/, 'bytea'],
  [/^jsonb?$/, 'json'],
  [/^(inet|cidr)$/, 'network'],
  [/^money$/, 'money'],
];

/** Pairs of categories with a cast between them, besides a category with itself and the string types with anything. */
const CASTS = new Set([
  'date>timestamp',
  'date>timestamptz',
  'timestamp>date',
  'timestamp>time',
  'timestamp>timestamptz',
  'timestamptz>date',
  'timestamptz>time',
  'timestamptz>timetz',
  'timestamptz>timestamp',
  'time>interval',
  'time>timetz',
  'timetz>time',
  'interval>time',
  'number>money',
  'money>number',
  'json>number',
  'json>boolean',
]);

function category(type: string): string | undefined {
  return CATEGORY.find(([re]) => re.test(type))?.[1];
}

/** Whether PostgreSQL has a cast from `from` to `to` (built-in types only; undefined: not known here). */
function castExists(from: string, to: string): boolean | undefined {
  const [f, t] = [category(from), category(to)];
  if (!f || !t) return undefined;
  if (f === t || f === 'string' || t === 'string') return true;
  // integer and boolean cast both ways; bigint and smallint do not.
  if ((from === 'integer' && to === 'boolean') || (from === 'boolean' && to === 'integer')) return true;
  return CASTS.has(`${f}>${t}`);
}

/** How a column `name` of `table` goes from type `from` to type `to` (both as format_type writes them). */
export function conversion(
  table: string,
  name: string,
  from: string,
  to: string,
  fromModel: SchemaModel,
  toModel: SchemaModel,
): Conversion {
  const col = quoteIdent(name);
  const array = (t: string) => t.endsWith('[]');
  const element = (t: string) => t.replace(/(\[\])+$/, '');
  const dims = (t: string) => t.slice(element(t).length);
  const isEnum = (m: SchemaModel, t: string) => m.types[element(t)]?.kind === 'enum';
  // One enum to another (or a type moved to another schema): through text.
  if (element(from) !== element(to) && (isEnum(fromModel, from) || isEnum(toModel, to)) && dims(from) === dims(to))
    return { using: `${col}::text${dims(from)}::${to}` };
  // A composite or range type has casts only to and from text; an array, only to another array.
  const kindOf = (m: SchemaModel, t: string) => m.types[element(t)]?.kind;
  const closed = (m: SchemaModel, t: string) => ['composite', 'range'].includes(kindOf(m, t) ?? '') || /^record$/.test(element(t));
  const stringy = (t: string) => !array(t) && category(t) === 'string';
  const exists =
    array(from) !== array(to)
      ? stringy(from) || stringy(to)
      : (closed(fromModel, from) || closed(toModel, to)) && element(from) !== element(to)
        ? stringy(from) || stringy(to)
        : castExists(element(from), element(to));
  if (exists !== false) return { using: `${col}::${to}` };
  const what = `no cast from ${from} to ${to}: write the conversion of ${table}.${col} in the USING expression`;
  // Through text, with words no type reads: only rows with a value fail, and they say why.
  const fail = `(${col}::text || ' [pgpatch: ${what.replace(/'/g, "''")}]')::${to}`;
  return { using: `case when ${col} is null then null else ${fail} end`, placeholder: what };
}
