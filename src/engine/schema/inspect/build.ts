/**
 * Catalog rows into a `SchemaModel`: OIDs are used here to attach parts to their relation, and
 * dropped. Every map is built with sorted keys so that equal schemas give equal JSON.
 */
import type {
  Collation,
  Column,
  Constraint,
  DefaultPrivileges,
  EventTrigger,
  ExcludeTable,
  Grants,
  Identity,
  Index,
  Policy,
  Publication,
  PublicationTable,
  Routine,
  Schema,
  SchemaModel,
  Sequence,
  Table,
  TypeDef,
  View,
} from './model';
import { quoteIdent, quoteQualified } from '../../../quote';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Row = Record<string, any>;

export type CatalogRows = Record<
  | 'schemas'
  | 'extensions'
  | 'collations'
  | 'types'
  | 'relations'
  | 'columns'
  | 'constraints'
  | 'indexes'
  | 'triggers'
  | 'policies'
  | 'rules'
  | 'statistics'
  | 'sequences'
  | 'functions'
  | 'defaultPrivileges'
  | 'publications'
  | 'eventTriggers',
  Row[]
>;

type Relation = Table | View;

const RELATION_KIND = { r: 'table', p: 'partitioned table', f: 'foreign table', v: 'view', m: 'materialized view' } as const;
const CONSTRAINT_TYPE = { p: 'primary key', u: 'unique', f: 'foreign key', c: 'check', x: 'exclusion' } as const;
const ENABLED = { O: 'origin', D: 'disabled', R: 'replica', A: 'always' } as const;
const POLICY_COMMAND = { '*': 'ALL', r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE' } as const;
const ROUTINE_KIND = { f: 'function', p: 'procedure', a: 'aggregate', w: 'window function' } as const;
const VOLATILITY = { i: 'immutable', s: 'stable', v: 'volatile' } as const;
const PARALLEL = { s: 'safe', r: 'restricted', u: 'unsafe' } as const;
const COLLATION_PROVIDER = { c: 'libc', i: 'icu', b: 'builtin', d: 'default' } as const;
const DEFAULT_ACL_TYPE = { r: 'tables', S: 'sequences', f: 'functions', T: 'types', n: 'schemas', L: 'large objects' } as const;
const REPLICA_IDENTITY = { n: 'nothing', f: 'full', i: 'index' } as const;

/** The order GRANT's documentation lists privileges in; unknown ones go last, by name. */
const PRIVILEGE_ORDER = [
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'TRUNCATE',
  'REFERENCES',
  'TRIGGER',
  'MAINTAIN',
  'USAGE',
  'EXECUTE',
  'CREATE',
  'TEMPORARY',
  'CONNECT',
  'SET',
  'ALTER SYSTEM',
];

export function buildModel(rows: CatalogRows, version: number, exclude: readonly ExcludeTable[]): SchemaModel {
  const excluded = new Set<string>();
  const excludedSchemas = new Set<string>();
  const relations = new Map<number, Relation>();
  for (const r of rows.relations) {
    if (['r', 'p', 'f'].includes(r.kind) && exclude.some((x) => x.table === r.name && (x.schema ?? r.schema) === r.schema)) {
      excluded.add(quoteQualified(r.schema, r.name));
      excludedSchemas.add(r.schema);
      continue;
    }
    relations.set(r.oid, relation(r));
  }
  attachColumns(relations, rows.columns);
  const types = buildTypes(rows.types);
  attachConstraints(relations, types, rows.constraints);
  attachParts(relations, rows);

  const model: SchemaModel = {
    format: 1,
    serverVersion: version,
    schemas: byName(rows.schemas, (r) => quoteIdent(r.name), schema),
    extensions: byName(
      rows.extensions,
      (r) => quoteIdent(r.name),
      (r) => ({ name: r.name, version: r.version, schema: r.schema }),
    ),
    collations: byName(rows.collations, (r) => quoteQualified(r.schema, r.name), collation),
    types: sortKeys(types),
    tables: sortKeys(Object.fromEntries([...relations.values()].filter(isTable).map((t) => [quoteQualified(t.schema, t.name), t]))),
    views: sortKeys(
      Object.fromEntries([...relations.values()].filter((r): r is View => !isTable(r)).map((v) => [quoteQualified(v.schema, v.name), v])),
    ),
    sequences: byName(
      rows.sequences.filter((r) => keepSequence(r, excluded)),
      (r) => quoteQualified(r.schema, r.name),
      sequence,
    ),
    functions: byName(rows.functions, (r) => `${quoteQualified(r.schema, r.name)}(${r.identity})`, routine),
    defaultPrivileges: byName(rows.defaultPrivileges, defaultPrivilegesKey, defaultPrivileges),
    publications: byName(
      rows.publications,
      (r) => quoteIdent(r.name),
      (r) => publication(r, excluded),
    ),
    eventTriggers: byName(rows.eventTriggers, (r) => quoteIdent(r.name), eventTrigger),
  };
  dropEmptiedSchemas(model, excludedSchemas);
  return model;
}

function isTable(r: Relation): r is Table {
  return r.kind === 'table' || r.kind === 'partitioned table' || r.kind === 'foreign table';
}

function relation(r: Row): Relation {
  const kind = RELATION_KIND[r.kind as keyof typeof RELATION_KIND];
  const head = { schema: r.schema as string, name: r.name as string, kind, owner: r.owner as string };
  const parts = { columns: {} as Record<string, Column>, columnOrder: [] as string[], indexes: {}, triggers: {}, rules: {} };
  const tail = { options: r.options ? [...r.options].sort() : undefined, grants: grants(r.grants), comment: r.comment ?? undefined };
  if (kind === 'view' || kind === 'materialized view') return clean({ ...head, kind, definition: r.definition, ...parts, ...tail });
  const parents: string[] = (r.parents ?? []).map(([s, n]: [string, string]) => quoteQualified(s, n));
  return clean({
    ...head,
    kind,
    ...parts,
    constraints: {},
    policies: {},
    statistics: {},
    rowSecurity: r.row_security,
    forceRowSecurity: r.force_row_security,
    unlogged: r.persistence === 'u' ? true : undefined,
    partitionKey: r.partition_key ?? undefined,
    partitionOf: r.is_partition ? parents[0] : undefined,
    partitionBound: r.partition_bound ?? undefined,
    inherits: !r.is_partition && parents.length ? parents : undefined,
    replicaIdentity: REPLICA_IDENTITY[r.replica_identity as keyof typeof REPLICA_IDENTITY],
    ...tail,
  } as Table);
}

function attachColumns(relations: Map<number, Relation>, rows: Row[]): void {
  const sorted = [...rows].sort((a, b) => a.rel - b.rel || a.num - b.num);
  for (const r of sorted) {
    const rel = relations.get(r.rel);
    if (!rel) continue;
    rel.columnOrder.push(r.name);
    rel.columns[r.name] = clean({
      type: r.type,
      notNull: r.not_null,
      default: r.generated ? undefined : (r.default ?? undefined),
      identity: r.identity ? identity(r.identity, r.identity_sequence) : undefined,
      generated: r.generated ? { kind: r.generated === 's' ? 'stored' : 'virtual', expression: r.default } : undefined,
      collation: collationName(r.collation),
      inherited: !r.local && r.inherited_count > 0 && !(rel as Table).partitionOf ? true : undefined,
      grants: r.grants ? grants(r.grants) : undefined,
      comment: r.comment ?? undefined,
    } as Column);
  }
  for (const rel of relations.values()) rel.columns = sortKeys(rel.columns);
}

/** A partition's identity column has no sequence of its own (PostgreSQL 17+): the parent's serves. */
function identity(generation: string, sequence: Row | null): Identity {
  const { schema: s, name, ...options } = sequence ?? {};
  const out = { generation: generation === 'a' ? 'always' : 'by default', ...options } as Identity;
  if (sequence) {
    out.sequence = quoteQualified(s, name);
    out.grants = grants(sequence.grants);
  }
  return out;
}

function attachConstraints(relations: Map<number, Relation>, types: Record<string, TypeDef>, rows: Row[]): void {
  for (const r of rows) {
    if (r.type_schema) {
      const domain = types[quoteQualified(r.type_schema, r.type_name)];
      if (domain?.kind === 'domain') {
        domain.constraints[r.name] = clean({ definition: r.definition, valid: r.valid, comment: r.comment ?? undefined });
      }
      continue;
    }
    const table = relations.get(r.rel);
    if (!table || !isTable(table)) continue;
    table.constraints[r.name] = clean({
      type: CONSTRAINT_TYPE[r.type as keyof typeof CONSTRAINT_TYPE],
      definition: r.definition,
      deferrable: r.deferrable,
      initiallyDeferred: r.deferred,
      valid: r.valid,
      attachedTo: r.attached_to ?? undefined,
      inherited: r.inherited ? true : undefined,
      comment: r.comment ?? undefined,
    } as Constraint);
  }
  for (const rel of relations.values()) if (isTable(rel)) rel.constraints = sortKeys(rel.constraints);
  for (const t of Object.values(types)) if (t.kind === 'domain') t.constraints = sortKeys(t.constraints);
}

/** Indexes, triggers, policies, rules and statistics: the parts that hang off one relation. */
function attachParts(relations: Map<number, Relation>, rows: CatalogRows): void {
  for (const r of rows.indexes) {
    const rel = relations.get(r.rel);
    if (!rel) continue;
    // "CREATE INDEX name ON schema.table USING btree (a)": keep what follows USING, the index itself.
    const at = (r.definition as string).indexOf(` USING ${r.method} `);
    rel.indexes[r.name] = clean({
      definition: at >= 0 ? r.definition.slice(at + ' USING '.length) : r.definition,
      method: r.method,
      unique: r.unique,
      predicate: r.predicate ?? undefined,
      valid: r.valid,
      attachedTo: r.attached_to ?? undefined,
      replicaIdentity: r.replica_identity ? true : undefined,
      comment: r.comment ?? undefined,
    } as Index);
  }
  for (const r of rows.triggers) {
    const rel = relations.get(r.rel);
    if (rel)
      rel.triggers[r.name] = clean({
        definition: r.definition,
        enabled: ENABLED[r.enabled as keyof typeof ENABLED],
        comment: r.comment ?? undefined,
      });
  }
  for (const r of rows.rules) {
    const rel = relations.get(r.rel);
    if (rel)
      rel.rules[r.name] = clean({
        definition: r.definition,
        enabled: ENABLED[r.enabled as keyof typeof ENABLED],
        comment: r.comment ?? undefined,
      });
  }
  for (const r of rows.policies) {
    const rel = relations.get(r.rel);
    if (!rel || !isTable(rel)) continue;
    rel.policies[r.name] = clean({
      command: POLICY_COMMAND[r.command as keyof typeof POLICY_COMMAND],
      permissive: r.permissive,
      roles: [...(r.roles ?? [])].sort(),
      using: r.using ?? undefined,
      withCheck: r.with_check ?? undefined,
      comment: r.comment ?? undefined,
    } as Policy);
  }
  for (const r of rows.statistics) {
    const rel = relations.get(r.rel);
    if (rel && isTable(rel))
      rel.statistics[quoteQualified(r.schema, r.name)] = clean({ definition: r.definition, comment: r.comment ?? undefined });
  }
  for (const rel of relations.values()) {
    rel.indexes = sortKeys(rel.indexes);
    rel.triggers = sortKeys(rel.triggers);
    rel.rules = sortKeys(rel.rules);
    if (isTable(rel)) {
      rel.policies = sortKeys(rel.policies);
      rel.statistics = sortKeys(rel.statistics);
    }
  }
}

function buildTypes(rows: Row[]): Record<string, TypeDef> {
  const types: Record<string, TypeDef> = {};
  for (const r of rows) {
    const base = { schema: r.schema, name: r.name, owner: r.owner, grants: grants(r.grants), comment: r.comment ?? undefined };
    let type: TypeDef;
    if (r.kind === 'e') type = { ...base, kind: 'enum', labels: r.labels ?? [] };
    else if (r.kind === 'd') {
      type = {
        ...base,
        kind: 'domain',
        baseType: r.base_type,
        notNull: r.not_null,
        default: r.default ?? undefined,
        collation: collationName(r.collation),
        constraints: {},
      };
    } else if (r.kind === 'c') {
      type = {
        ...base,
        kind: 'composite',
        attributes: (r.attributes ?? []).map(([name, t, coll]: [string, string, [string, string] | null]) =>
          clean({ name, type: t, collation: collationName(coll) }),
        ),
      };
    } else {
      const g = r.range ?? {};
      type = {
        ...base,
        kind: 'range',
        subtype: g.subtype,
        subtypeOpclass: g.opclass ? quoteQualified(g.opclass[0], g.opclass[1]) : undefined,
        collation: collationName(g.collation),
        canonical: g.canonical ?? undefined,
        subtypeDiff: g.subtypeDiff ?? undefined,
        multirange: g.multirange ? quoteQualified(g.multirange[0], g.multirange[1]) : undefined,
      };
    }
    types[quoteQualified(r.schema, r.name)] = clean(type);
  }
  return types;
}

function schema(r: Row): Schema {
  return clean({ name: r.name, owner: r.owner, grants: grants(r.grants), comment: r.comment ?? undefined });
}

function collation(r: Row): Collation {
  const provider = COLLATION_PROVIDER[r.provider as keyof typeof COLLATION_PROVIDER];
  const libc = provider === 'libc';
  return clean({
    schema: r.schema,
    name: r.name,
    owner: r.owner,
    provider,
    // Before PostgreSQL 15, an ICU collation kept its locale in collcollate.
    locale: libc ? undefined : (r.locale ?? r.lc_collate ?? undefined),
    lcCollate: libc ? (r.lc_collate ?? undefined) : undefined,
    lcCtype: libc ? (r.lc_ctype ?? undefined) : undefined,
    deterministic: r.deterministic,
    rules: r.rules ?? undefined,
    comment: r.comment ?? undefined,
  });
}

function keepSequence(r: Row, excluded: Set<string>): boolean {
  if (!r.owned_by) return true;
  const [schemaName, table, , deptype] = r.owned_by as string[];
  // An identity column's sequence is part of the column (Column.identity).
  return deptype !== 'i' && !excluded.has(quoteQualified(schemaName, table));
}

function sequence(r: Row): Sequence {
  const [s, t, c] = (r.owned_by ?? []) as string[];
  return clean({
    schema: r.schema,
    name: r.name,
    owner: r.owner,
    type: r.type,
    start: r.start,
    increment: r.increment,
    min: r.min,
    max: r.max,
    cache: r.cache,
    cycle: r.cycle,
    ownedBy: r.owned_by ? `${quoteQualified(s, t)}.${quoteIdent(c)}` : undefined,
    grants: grants(r.grants),
    comment: r.comment ?? undefined,
  });
}

function routine(r: Row): Routine {
  return clean({
    schema: r.schema,
    name: r.name,
    kind: ROUTINE_KIND[r.kind as keyof typeof ROUTINE_KIND],
    arguments: r.arguments,
    returns: r.returns ?? undefined,
    language: r.language,
    volatility: VOLATILITY[r.volatility as keyof typeof VOLATILITY],
    strict: r.strict,
    securityDefiner: r.security_definer,
    leakproof: r.leakproof,
    parallel: PARALLEL[r.parallel as keyof typeof PARALLEL],
    cost: r.cost,
    rows: r.rows,
    config: r.config ? [...r.config].sort() : undefined,
    body: r.body ?? '',
    aggregate: r.aggregate ? clean(r.aggregate) : undefined,
    owner: r.owner,
    grants: grants(r.grants),
    comment: r.comment ?? undefined,
  } as Routine);
}

function defaultPrivilegesKey(r: Row): string {
  const type = DEFAULT_ACL_TYPE[r.object_type as keyof typeof DEFAULT_ACL_TYPE] ?? r.object_type;
  return `for role ${quoteIdent(r.role)}${r.schema ? ` in schema ${quoteIdent(r.schema)}` : ''} on ${type}`;
}

function defaultPrivileges(r: Row): DefaultPrivileges {
  return clean({
    role: r.role,
    schema: r.schema ?? undefined,
    objectType: DEFAULT_ACL_TYPE[r.object_type as keyof typeof DEFAULT_ACL_TYPE] ?? r.object_type,
    grants: grants(r.grants),
  });
}

const PUBLISHED = ['insert', 'update', 'delete', 'truncate'] as const;

/** The excluded tables (the record) are left out of its tables, as they are of the model. */
function publication(r: Row, excluded: Set<string>): Publication {
  const tables: Record<string, PublicationTable> = {};
  for (const [s, t, columns, rowFilter] of (r.tables ?? []) as Array<[string, string, string[] | null, string | null]>) {
    const key = quoteQualified(s, t);
    if (!excluded.has(key)) tables[key] = clean({ columns: columns ?? undefined, rowFilter: rowFilter ?? undefined });
  }
  return clean({
    name: r.name,
    owner: r.owner,
    allTables: r.all_tables,
    publish: PUBLISHED.filter((p) => r[p]),
    viaRoot: r.via_root,
    tables: sortKeys(tables),
    schemas: ((r.schemas ?? []) as string[]).map(quoteIdent).sort(),
    comment: r.comment ?? undefined,
  });
}

function eventTrigger(r: Row): EventTrigger {
  return clean({
    name: r.name,
    event: r.event,
    function: `${quoteQualified(r.function_schema, r.function_name)}()`,
    enabled: ENABLED[r.enabled as keyof typeof ENABLED],
    tags: r.tags ? [...r.tags].sort() : undefined,
    owner: r.owner,
    comment: r.comment ?? undefined,
  });
}

/** A schema that held only the excluded record table is the tool's own: leave it out too. */
function dropEmptiedSchemas(model: SchemaModel, candidates: Set<string>): void {
  if (!candidates.size) return;
  const used = new Set<string>();
  for (const map of [model.tables, model.views, model.sequences, model.functions, model.types, model.collations]) {
    for (const o of Object.values(map)) used.add(o.schema);
  }
  for (const x of Object.values(model.extensions)) used.add(x.schema);
  for (const d of Object.values(model.defaultPrivileges)) if (d.schema) used.add(d.schema);
  // A publication's schemas are written as SQL needs them (quoted), the others as they are.
  const published = new Set(Object.values(model.publications).flatMap((p) => p.schemas));
  for (const name of candidates) if (!used.has(name) && !published.has(quoteIdent(name))) delete model.schemas[quoteIdent(name)];
}

/** [grantee, privilege, grantable] triples from aclexplode into privileges by grantee. */
export function grants(triples: Array<[string, string, boolean]> | null): Grants {
  const out: Record<string, string[]> = {};
  for (const [grantee, privilege, grantable] of triples ?? []) {
    (out[grantee] ??= []).push(grantable ? `${privilege} WITH GRANT OPTION` : privilege);
  }
  for (const list of Object.values(out)) list.sort(comparePrivileges);
  return sortKeys(out);
}

function comparePrivileges(a: string, b: string): number {
  const rank = (p: string) => {
    const i = PRIVILEGE_ORDER.indexOf(p.replace(/ WITH GRANT OPTION$/, ''));
    return i < 0 ? PRIVILEGE_ORDER.length : i;
  };
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

function collationName(pair: [string, string] | null | undefined): string | undefined {
  if (!pair) return undefined;
  return pair[0] === 'pg_catalog' ? quoteIdent(pair[1]) : quoteQualified(pair[0], pair[1]);
}

function byName<T>(rows: Row[], key: (r: Row) => string, build: (r: Row) => T): Record<string, T> {
  return sortKeys(Object.fromEntries(rows.map((r) => [key(r), build(r)])));
}

export function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(record).sort()) out[k] = record[k];
  return out;
}

/** Leaves out the fields that are undefined or null: absent is how the model says "none". */
function clean<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined || o[k] === null) delete o[k];
  return o;
}
