/**
 * `compareModels`: what differs between two schema models, as data that also reads as a sentence.
 *
 *   table myapp.book, column uuid: NOT NULL in the schema files, nullable after the patches
 *
 * The labels say where each model came from ("in the schema files", "after the patches",
 * "in the live database"). A whole object that is missing is one difference, not one per column.
 * A column that a patch appended but the schema files declare in the middle is its own kind,
 * `column_order`, so that the caller decides whether it matters (`check --strict`). Models read
 * from servers of two majors are compared without what only the version makes (majors.ts).
 */
import type { CompareLabels } from './phrases';
import type {
  Collation,
  Column,
  DefaultPrivileges,
  EventTrigger,
  Extension,
  Grants,
  Publication,
  Routine,
  Schema,
  SchemaModel,
  Sequence,
  Table,
  TypeDef,
  View,
} from './model';
import { acrossMajors } from './majors';
import { flag, PHRASES, textDifference, type Phrase } from './phrases';

export type DifferenceKind = 'missing' | 'extra' | 'changed' | 'column_order';

export interface Difference {
  /** missing: only in the expected model; extra: only in the actual one; changed: in both, differently. */
  kind: DifferenceKind;
  /** The top-level object: 'table', 'view', 'function', 'domain', 'default privileges', ... */
  objectType: string;
  /** Its qualified name: `myapp.book`, `myapp.author_revenue(bigint)`. */
  object: string;
  /** The part of the object concerned: `column uuid`, `index book_title_idx`, `grants to view`. */
  detail?: string;
  /** For `changed`: the property that differs (`notNull`, `definition`, `owner`, ...). */
  property?: string;
  /** The value in each model: of the property for `changed`, of the part for a missing or extra part. */
  expected?: unknown;
  actual?: unknown;
  message: string;
}

export type { CompareLabels } from './phrases';

interface Where {
  objectType: string;
  object: string;
  detail?: string;
}

/** One comparable property: its key, and how to say its value (defaults to PHRASES[key]). */
type Prop = string | { key: string; phrase?: Phrase; normalise?: (v: unknown) => unknown; text?: boolean };

const OWNED = ['owner', 'comment'];
const COLUMN: Prop[] = ['type', 'notNull', 'default', 'generated', 'collation', 'inherited', 'comment'];
const IDENTITY: Prop[] = ['type', 'start', 'increment', 'min', 'max', 'cache', 'cycle'];
const CONSTRAINT: Prop[] = [
  'type',
  { key: 'definition', normalise: withoutFlags },
  'deferrable',
  'initiallyDeferred',
  'valid',
  'attachedTo',
  'comment',
];
const DOMAIN_CONSTRAINT: Prop[] = [{ key: 'definition', normalise: withoutFlags }, 'valid', 'comment'];
const INDEX: Prop[] = [
  'method',
  'unique',
  'predicate',
  { key: 'definition', normalise: indexWithout },
  { key: 'valid', phrase: flag('valid', 'invalid (left by a failed CREATE INDEX CONCURRENTLY?)') },
  { key: 'replicaIdentity', phrase: flag('the replica identity', 'not the replica identity') },
  'attachedTo',
  'comment',
];
const TRIGGER: Prop[] = ['definition', 'enabled', 'comment'];
const POLICY: Prop[] = ['command', 'permissive', 'roles', 'using', 'withCheck', 'comment'];
const TABLE: Prop[] = [
  'kind',
  'partitionKey',
  'partitionOf',
  'partitionBound',
  'inherits',
  'unlogged',
  'rowSecurity',
  'forceRowSecurity',
  'replicaIdentity',
  'options',
  ...OWNED,
];
const VIEW: Prop[] = ['kind', { key: 'definition', text: true }, 'options', ...OWNED];
const SEQUENCE: Prop[] = ['type', 'start', 'increment', 'min', 'max', 'cache', 'cycle', 'ownedBy', ...OWNED];
const ROUTINE: Prop[] = [
  'kind',
  'arguments',
  'returns',
  'language',
  'volatility',
  'strict',
  'securityDefiner',
  'leakproof',
  'parallel',
  'cost',
  'rows',
  'config',
  { key: 'body', text: true, normalise: trimmedBody },
  'aggregate',
  ...OWNED,
];
const PUBLICATION: Prop[] = ['allTables', 'schemas', 'publish', 'viaRoot', ...OWNED];
const PUBLICATION_TABLE: Prop[] = ['columns', 'rowFilter'];
const EVENT_TRIGGER: Prop[] = ['event', 'function', 'tags', 'enabled', ...OWNED];
const TYPE: Record<TypeDef['kind'], Prop[]> = {
  enum: ['labels', ...OWNED],
  domain: ['baseType', 'notNull', 'default', 'collation', ...OWNED],
  composite: ['attributes', ...OWNED],
  range: ['subtype', 'subtypeOpclass', 'collation', 'canonical', 'subtypeDiff', 'multirange', ...OWNED],
};
const TYPE_NAME: Record<TypeDef['kind'], string> = {
  enum: 'enum type',
  domain: 'domain',
  composite: 'composite type',
  range: 'range type',
};

export function compareModels(expected: SchemaModel, actual: SchemaModel, labels: CompareLabels): Difference[] {
  // Read from servers of two majors: what only the version makes is no difference (majors.ts).
  [expected, actual] = acrossMajors(expected, actual);
  const d = new Differ(labels);
  d.objects<Schema>('schema', expected.schemas, actual.schemas, (w, e, a) => {
    d.props(w, e, a, OWNED);
    d.grants(w, e.grants, a.grants, [e.owner, a.owner]);
  });
  d.objects<Extension>('extension', expected.extensions, actual.extensions, (w, e, a) => d.props(w, e, a, ['version', 'schema']));
  d.objects<Collation>('collation', expected.collations, actual.collations, (w, e, a) =>
    d.props(w, e, a, ['provider', 'locale', 'lcCollate', 'lcCtype', 'deterministic', 'rules', ...OWNED]),
  );
  d.objects<TypeDef>(
    (t) => TYPE_NAME[t.kind],
    expected.types,
    actual.types,
    (w, e, a) => {
      if (e.kind !== a.kind) return d.changed(w, 'kind', e.kind, a.kind);
      d.props(w, e, a, TYPE[e.kind]);
      d.grants(w, e.grants, a.grants, [e.owner, a.owner]);
      if (e.kind === 'domain' && a.kind === 'domain') {
        d.parts(w, 'constraint', e.constraints, a.constraints, DOMAIN_CONSTRAINT, true);
      }
    },
  );
  d.objects<Table>(
    (t) => t.kind,
    expected.tables,
    actual.tables,
    (w, e, a) => compareTable(d, w, e, a),
  );
  d.objects<View>(
    (v) => v.kind,
    expected.views,
    actual.views,
    (w, e, a) => {
      d.props(w, e, a, VIEW);
      d.grants(w, e.grants, a.grants, [e.owner, a.owner]);
      compareRelationParts(d, w, e, a);
    },
  );
  d.objects<Sequence>('sequence', expected.sequences, actual.sequences, (w, e, a) => {
    d.props(w, e, a, SEQUENCE);
    d.grants(w, e.grants, a.grants, [e.owner, a.owner]);
  });
  d.objects<Routine>(
    (r) => r.kind,
    expected.functions,
    actual.functions,
    (w, e, a) => {
      d.props(w, e, a, ROUTINE);
      d.grants(w, e.grants, a.grants, [e.owner, a.owner]);
    },
  );
  compareDefaultPrivileges(d, expected, actual);
  // Models written before publications and event triggers were inspected have neither.
  d.objects<Publication>('publication', expected.publications ?? {}, actual.publications ?? {}, (w, e, a) => {
    d.props(w, e, a, PUBLICATION);
    d.parts(w, 'table', e.tables, a.tables, PUBLICATION_TABLE);
  });
  d.objects<EventTrigger>('event trigger', expected.eventTriggers ?? {}, actual.eventTriggers ?? {}, (w, e, a) =>
    d.props(w, e, a, EVENT_TRIGGER),
  );
  return d.sorted();
}

/**
 * Default privileges that one side does not list are not "missing": that side has the built-in
 * defaults (for ALTER DEFAULT PRIVILEGES without IN SCHEMA) or nothing added (with IN SCHEMA).
 * So they are compared grantee by grantee, like any privileges.
 */
function compareDefaultPrivileges(d: Differ, expected: SchemaModel, actual: SchemaModel): void {
  for (const key of union(expected.defaultPrivileges, actual.defaultPrivileges)) {
    const e = expected.defaultPrivileges[key] ?? builtInDefault(actual.defaultPrivileges[key], expected.serverVersion);
    const a = actual.defaultPrivileges[key] ?? builtInDefault(expected.defaultPrivileges[key], actual.serverVersion);
    d.grants({ objectType: 'default privileges', object: key }, e.grants, a.grants);
  }
}

/** What GRANT gives without any ALTER DEFAULT PRIVILEGES (the documentation's "Default privileges" table). */
export function builtInDefault(other: DefaultPrivileges, serverVersion: number): DefaultPrivileges {
  if (other.schema !== undefined) return { ...other, grants: {} };
  const owner: Record<string, string[]> = {
    tables: ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER', ...(serverVersion >= 170000 ? ['MAINTAIN'] : [])],
    sequences: ['SELECT', 'UPDATE', 'USAGE'],
    functions: ['EXECUTE'],
    types: ['USAGE'],
    schemas: ['USAGE', 'CREATE'],
    'large objects': ['SELECT', 'UPDATE'],
  };
  const grants: Grants = { [other.role]: owner[other.objectType] ?? [] };
  if (other.objectType === 'functions') grants.PUBLIC = ['EXECUTE'];
  if (other.objectType === 'types') grants.PUBLIC = ['USAGE'];
  return { ...other, grants };
}

function compareTable(d: Differ, w: Where, e: Table, a: Table): void {
  d.props(w, e, a, TABLE);
  d.grants(w, e.grants, a.grants, [e.owner, a.owner]);
  compareRelationParts(d, w, e, a);
  d.parts(w, 'constraint', e.constraints, a.constraints, CONSTRAINT, true);
  d.parts(w, 'policy', e.policies, a.policies, POLICY);
  d.parts(w, 'statistics', e.statistics, a.statistics, ['definition', 'comment']);
}

function compareRelationParts(d: Differ, w: Where, e: Table | View, a: Table | View): void {
  d.parts(w, 'column', e.columns, a.columns, COLUMN, false, (pw, ec: Column, ac: Column) => {
    compareIdentity(d, pw, ec, ac, [e.owner, a.owner]);
    d.grants(pw, ec.grants ?? {}, ac.grants ?? {});
  });
  if (e.kind !== 'view' && e.kind !== 'materialized view') d.columnOrder(w, e.columnOrder, a.columnOrder);
  d.parts(w, 'index', e.indexes, a.indexes, INDEX, true);
  d.parts(w, 'trigger', e.triggers, a.triggers, TRIGGER);
  d.parts(w, 'rule', e.rules, a.rules, TRIGGER);
}

/** An identity column's sequence belongs to the table's owner. */
function compareIdentity(d: Differ, w: Where, e: Column, a: Column, owners: [string, string]): void {
  if (!e.identity || !a.identity) {
    if (e.identity || a.identity) d.changed(w, 'identity', e.identity, a.identity);
    return;
  }
  if (e.identity.generation !== a.identity.generation) d.changed(w, 'identity', e.identity, a.identity);
  // A partition's identity column has no sequence of its own: nothing more to compare.
  if (e.identity.start === undefined || a.identity.start === undefined) return;
  const iw = { ...w, detail: `${w.detail}, identity sequence` };
  d.props(iw, e.identity, a.identity, IDENTITY);
  d.grants(iw, e.identity.grants ?? {}, a.identity.grants ?? {}, owners);
}

class Differ {
  private readonly out: Difference[] = [];
  constructor(private readonly labels: CompareLabels) {}

  /** Objects of one map: missing, extra, or compared by `both`. */
  objects<T>(
    type: string | ((o: T) => string),
    expected: Record<string, T>,
    actual: Record<string, T>,
    both: (w: Where, e: T, a: T) => void,
  ): void {
    const typeOf = typeof type === 'string' ? () => type : type;
    for (const name of union(expected, actual)) {
      const e = expected[name];
      const a = actual[name];
      const w = { objectType: typeOf(e ?? a), object: name };
      if (e === undefined) this.push(w, 'extra', { message: this.extraMessage(w) });
      else if (a === undefined) this.push(w, 'missing', { message: this.missingMessage(w) });
      else both(w, e, a);
    }
  }

  /**
   * Named parts of an object (columns, constraints, indexes...). With `pairRenamed`, a part that
   * is missing under one name and extra under another with the same definition is reported
   * once, as a different name.
   */
  parts<T extends object>(
    w: Where,
    what: string,
    expected: Record<string, T>,
    actual: Record<string, T>,
    props: Prop[],
    pairRenamed = false,
    more?: (pw: Where, e: T, a: T) => void,
  ): void {
    const missing = Object.keys(expected).filter((k) => !(k in actual));
    const extra = new Set(Object.keys(actual).filter((k) => !(k in expected)));
    for (const name of missing) {
      const pw = { ...w, detail: `${what} ${name}` };
      const twin = pairRenamed ? [...extra].find((x) => sameIgnoringName(expected[name], actual[x])) : undefined;
      if (twin !== undefined) {
        extra.delete(twin);
        this.changed(pw, 'name', name, twin, (v) => `named ${v}`);
      } else {
        this.push(pw, 'missing', { expected: expected[name], message: this.missingMessage(pw) });
      }
    }
    for (const name of extra) {
      const pw = { ...w, detail: `${what} ${name}` };
      this.push(pw, 'extra', { actual: actual[name], message: this.extraMessage(pw) });
    }
    for (const name of Object.keys(expected)) {
      if (!(name in actual)) continue;
      const pw = { ...w, detail: `${what} ${name}` };
      this.props(pw, expected[name], actual[name], props);
      more?.(pw, expected[name], actual[name]);
    }
  }

  props(w: Where, expected: object, actual: object, props: Prop[]): void {
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    for (const prop of props) {
      const p = typeof prop === 'string' ? { key: prop } : prop;
      const norm = p.normalise ?? ((v: unknown) => v);
      if (same(norm(e[p.key]), norm(a[p.key]))) continue;
      if (p.text) this.textChanged(w, p.key, norm(e[p.key]) as string | undefined, norm(a[p.key]) as string | undefined);
      else this.changed(w, p.key, e[p.key], a[p.key], p.phrase);
    }
  }

  /**
   * Privileges, one difference per grantee whose privileges differ. When the owners differ, the
   * owner's own privileges are compared with each other (as "the owner"): the owner difference
   * is already reported once.
   */
  grants(w: Where, expected: Grants, actual: Grants, owners?: [string, string]): void {
    if (owners && owners[0] !== owners[1]) {
      expected = asOwner(expected, owners[0]);
      actual = asOwner(actual, owners[1]);
    }
    for (const grantee of union(expected, actual)) {
      const e = expected[grantee] ?? [];
      const a = actual[grantee] ?? [];
      if (same(e, a)) continue;
      const gw = { ...w, detail: w.detail ? `${w.detail}, grants to ${grantee}` : `grants to ${grantee}` };
      this.changed(gw, 'grants', e, a, (v) => ((v as string[]).length ? (v as string[]).join(', ') : 'none'));
    }
  }

  columnOrder(w: Where, expected: string[], actual: string[]): void {
    const common = new Set(expected.filter((c) => actual.includes(c)));
    const e = expected.filter((c) => common.has(c));
    const a = actual.filter((c) => common.has(c));
    if (same(e, a)) return;
    const kept = new Set(longestCommonSubsequence(e, a));
    const moved = e.filter((c) => !kept.has(c));
    const L = this.labels;
    this.push(w, 'column_order', {
      property: 'columnOrder',
      expected,
      actual,
      message:
        `${prefix(w)}: column${moved.length > 1 ? 's' : ''} ${moved.join(', ')} in another position: ` +
        `${e.join(', ')} ${L.expected}; ${a.join(', ')} ${L.actual}`,
    });
  }

  changed(w: Where, property: string, expected: unknown, actual: unknown, phrase?: Phrase): void {
    const say = phrase ?? PHRASES[property] ?? ((v: unknown) => `${property} ${v === undefined ? 'none' : String(v)}`);
    const L = this.labels;
    this.push(w, 'changed', {
      property,
      expected,
      actual,
      message: `${prefix(w)}: ${say(expected)} ${L.expected}, ${say(actual)} ${L.actual}`,
    });
  }

  private textChanged(w: Where, property: string, expected: string | undefined, actual: string | undefined): void {
    this.push(w, 'changed', {
      property,
      expected,
      actual,
      message: `${prefix(w)}: ${textDifference(property, expected ?? '', actual ?? '', this.labels)}`,
    });
  }

  private missingMessage(w: Where): string {
    return `${prefix(w)}: ${this.labels.expected}, missing ${this.labels.actual}`;
  }

  private extraMessage(w: Where): string {
    return `${prefix(w)}: not ${this.labels.expected}, but present ${this.labels.actual}`;
  }

  private push(w: Where, kind: DifferenceKind, rest: Partial<Difference> & { message: string }): void {
    this.out.push({ kind, objectType: w.objectType, object: w.object, ...(w.detail ? { detail: w.detail } : {}), ...rest });
  }

  /** By object, then part; the properties of one part in the order they are compared in. */
  sorted(): Difference[] {
    const key = (d: Difference) => [d.object, d.objectType, d.detail ?? ''];
    const order = new Map(this.out.map((d, i) => [d, i]));
    return [...this.out].sort((x, y) => {
      const a = key(x);
      const b = key(y);
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
      return order.get(x)! - order.get(y)!;
    });
  }
}

const OWNER = 'the owner';

function asOwner(grants: Grants, owner: string): Grants {
  const { [owner]: own, ...others } = grants;
  return own ? { ...others, [OWNER]: own } : others;
}

function prefix(w: Where): string {
  return `${w.objectType} ${w.object}${w.detail ? `, ${w.detail}` : ''}`;
}

function union(a: object, b: object): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
}

/** Deep equality of JSON values; absent and undefined are the same. */
export function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Two parts that differ only by name (and comment): a constraint or index that was renamed. */
function sameIgnoringName(e: object, a: object): boolean {
  const { comment: _c1, ...x } = e as Record<string, unknown>;
  const { comment: _c2, ...y } = a as Record<string, unknown>;
  return same(x, y);
}

/** pg_get_constraintdef appends the flags, which the model also has as fields: compare them once. */
function withoutFlags(v: unknown): unknown {
  return typeof v === 'string' ? v.replace(/( NOT DEFERRABLE| DEFERRABLE| INITIALLY DEFERRED| INITIALLY IMMEDIATE| NOT VALID)+$/, '') : v;
}

/** An index's definition holds its method, UNIQUE and predicate, compared first on their own. */
function indexWithout(v: unknown): unknown {
  return typeof v === 'string' ? v.replace(/^\S+ /, '').replace(/ WHERE .*$/s, '') : v;
}

/** Line endings and the blank lines around a function body are how it was typed, not what it does. */
function trimmedBody(v: unknown): unknown {
  return typeof v === 'string' ? v.replace(/\r\n?/g, '\n').trim() : v;
}

function longestCommonSubsequence(a: string[], b: string[]): string[] {
  const n = a.length;
  const m = b.length;
  const t: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) t[i][j] = a[i] === b[j] ? t[i + 1][j + 1] + 1 : Math.max(t[i + 1][j], t[i][j + 1]);
  }
  const out: string[] = [];
  for (let i = 0, j = 0; i < n && j < m;) {
    if (a[i] === b[j]) {
      out.push(a[i]);
      i++;
      j++;
    } else if (t[i + 1][j] >= t[i][j + 1]) i++;
    else j++;
  }
  return out;
}
