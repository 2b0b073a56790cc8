/**
 * How a property's value reads in a difference's message: mostly the SQL that would produce it
 * (`NOT NULL`, `SECURITY DEFINER`, `PARTITION BY RANGE (day)`), so that people recognise it.
 */
import { quoteLiteral } from '../../../quote';

export interface CompareLabels {
  /** Where the expected model comes from, as it reads after a value: "in the schema files". */
  expected: string;
  /** "after the patches", "in the live database". */
  actual: string;
}

export type Phrase = (v: any) => string; // eslint-disable-line @typescript-eslint/no-explicit-any

export const flag =
  (yes: string, no: string): Phrase =>
  (v) =>
    v ? yes : no;
const opt =
  (say: Phrase, none: string): Phrase =>
  (v) =>
    v === undefined || v === null ? none : say(v);

export const PHRASES: Record<string, Phrase> = {
  kind: (v) => `${/^[aeiou]/.test(v) ? 'an' : 'a'} ${v}`,
  owner: (v) => `owned by ${v}`,
  comment: opt((v) => `comment ${quoteText(v)}`, 'no comment'),
  type: (v) => `type ${v}`,
  notNull: flag('NOT NULL', 'nullable'),
  default: opt((v) => `default ${v}`, 'no default'),
  identity: opt((v) => `GENERATED ${v.generation.toUpperCase()} AS IDENTITY`, 'not an identity column'),
  generated: opt((v) => `GENERATED ALWAYS AS ${parenthesised(v.expression)} ${v.kind.toUpperCase()}`, 'not generated'),
  collation: opt((v) => `COLLATE ${v}`, 'the default collation'),
  inherited: flag('only inherited from its parent (not declared by the table)', 'declared by the table'),
  attachedTo: opt((v) => `attached to the parent's ${v}`, 'not attached to an index of the parent'),
  definition: opt((v) => v, 'no definition'),
  deferrable: flag('DEFERRABLE', 'NOT DEFERRABLE'),
  initiallyDeferred: flag('INITIALLY DEFERRED', 'INITIALLY IMMEDIATE'),
  valid: flag('valid', 'NOT VALID'),
  method: (v) => `USING ${v}`,
  unique: flag('UNIQUE', 'not unique'),
  predicate: opt((v) => `WHERE ${v}`, 'not partial (no WHERE)'),
  enabled: (v) => ({ origin: 'enabled', disabled: 'DISABLED', replica: 'ENABLE REPLICA', always: 'ENABLE ALWAYS' })[v as string] ?? v,
  command: (v) => `FOR ${v}`,
  permissive: flag('PERMISSIVE', 'RESTRICTIVE'),
  roles: (v) => `TO ${v.join(', ')}`,
  using: opt((v) => `USING (${v})`, 'no USING expression'),
  withCheck: opt((v) => `WITH CHECK (${v})`, 'no WITH CHECK expression'),
  partitionKey: opt((v) => `PARTITION BY ${v}`, 'not partitioned'),
  partitionOf: opt((v) => `a partition of ${v}`, 'not a partition'),
  partitionBound: opt((v) => v, 'no partition bound'),
  inherits: opt((v) => `INHERITS (${v.join(', ')})`, 'no parent table'),
  unlogged: flag('UNLOGGED', 'logged'),
  rowSecurity: flag('row level security enabled', 'row level security disabled'),
  forceRowSecurity: flag('row level security forced on the owner', 'row level security not forced on the owner'),
  replicaIdentity: opt((v) => `REPLICA IDENTITY ${String(v).toUpperCase()}`, 'REPLICA IDENTITY DEFAULT'),
  options: (v) => (v?.length ? `WITH (${v.join(', ')})` : 'no storage options'),
  version: (v) => `version ${v}`,
  schema: (v) => `in schema ${v}`,
  provider: (v) => `provider ${v}`,
  locale: opt((v) => `locale ${quoteText(v)}`, 'no locale'),
  lcCollate: opt((v) => `LC_COLLATE ${quoteText(v)}`, 'no LC_COLLATE'),
  lcCtype: opt((v) => `LC_CTYPE ${quoteText(v)}`, 'no LC_CTYPE'),
  deterministic: flag('deterministic', 'nondeterministic'),
  rules: opt((v) => `rules ${quoteText(v)}`, 'no rules'),
  labels: (v) => `labels ${(v as string[]).map(quoteLiteral).join(', ')}`,
  baseType: (v) => `base type ${v}`,
  attributes: (v) =>
    `(${(v as Array<{ name: string; type: string; collation?: string }>)
      .map((a) => `${a.name} ${a.type}${a.collation ? ` COLLATE ${a.collation}` : ''}`)
      .join(', ')})`,
  subtype: (v) => `subtype ${v}`,
  subtypeOpclass: opt((v) => `operator class ${v}`, 'the default operator class'),
  canonical: opt((v) => `canonical function ${v}`, 'no canonical function'),
  subtypeDiff: opt((v) => `subtype_diff ${v}`, 'no subtype_diff'),
  multirange: opt((v) => `multirange type ${v}`, 'no multirange type'),
  start: (v) => `START WITH ${v}`,
  increment: (v) => `INCREMENT BY ${v}`,
  min: (v) => `MINVALUE ${v}`,
  max: (v) => `MAXVALUE ${v}`,
  cache: (v) => `CACHE ${v}`,
  cycle: flag('CYCLE', 'NO CYCLE'),
  ownedBy: opt((v) => `OWNED BY ${v}`, 'OWNED BY NONE'),
  arguments: (v) => `arguments (${v})`,
  returns: opt((v) => `RETURNS ${v}`, 'no result'),
  language: (v) => `LANGUAGE ${v}`,
  volatility: (v) => String(v).toUpperCase(),
  strict: flag('STRICT', 'CALLED ON NULL INPUT'),
  securityDefiner: flag('SECURITY DEFINER', 'SECURITY INVOKER'),
  leakproof: flag('LEAKPROOF', 'NOT LEAKPROOF'),
  parallel: (v) => `PARALLEL ${String(v).toUpperCase()}`,
  cost: (v) => `COST ${v}`,
  rows: (v) => `ROWS ${v}`,
  config: (v) => (v?.length ? (v as string[]).map((s) => `SET ${s}`).join(', ') : 'no SET clause'),
  allTables: flag('FOR ALL TABLES', 'not FOR ALL TABLES'),
  schemas: (v) => (v?.length ? `FOR TABLES IN SCHEMA ${(v as string[]).join(', ')}` : 'no FOR TABLES IN SCHEMA'),
  publish: (v) => `publish = '${(v as string[]).join(', ')}'`,
  viaRoot: flag('publish_via_partition_root = true', 'publish_via_partition_root = false'),
  columns: opt((v) => `columns (${(v as string[]).join(', ')})`, 'all columns'),
  rowFilter: opt((v) => `WHERE ${parenthesised(v)}`, 'no row filter (WHERE)'),
  event: (v) => `ON ${v}`,
  function: (v) => `EXECUTE FUNCTION ${v}`,
  tags: opt((v) => `WHEN TAG IN (${(v as string[]).map(quoteLiteral).join(', ')})`, 'for every command (no WHEN TAG)'),
  aggregate: opt(
    (v) =>
      Object.entries(v as Record<string, string>)
        .map(([k, x]) => `${k} = ${x}`)
        .join(', '),
    'not an aggregate',
  ),
};

/** `(expr)`, without doubling the parentheses pg_get_expr already put around it. */
function parenthesised(expr: string): string {
  let depth = 0;
  for (let i = 0; i < expr.length; i++) {
    if (expr[i] === '(') depth++;
    else if (expr[i] === ')' && --depth === 0 && i < expr.length - 1) return `(${expr})`;
  }
  return expr.startsWith('(') && expr.endsWith(')') ? expr : `(${expr})`;
}

/**
 * A long text (a view's query, a function's body) that differs: the first line where it does,
 * rather than both texts in full.
 */
export function textDifference(property: string, expected: string, actual: string, labels: CompareLabels): string {
  const e = expected.split('\n');
  const a = actual.split('\n');
  if (e.length === 1 && a.length === 1) {
    return `${property} ${quoteText(expected)} ${labels.expected}, ${quoteText(actual)} ${labels.actual}`;
  }
  let i = 0;
  while (i < e.length && i < a.length && e[i] === a[i]) i++;
  const line = (l: string | undefined) => (l === undefined ? 'nothing (the text ends)' : quoteText(l.trim()));
  return `${property} differs at line ${i + 1}: ${line(e[i])} ${labels.expected}, ${line(a[i])} ${labels.actual}`;
}

/** A value in double quotes, shortened when long. */
export function quoteText(v: string, max = 80): string {
  const s = v.length > max ? `${v.slice(0, max - 1)}…` : v;
  return `"${s.replace(/\n/g, '\\n')}"`;
}
