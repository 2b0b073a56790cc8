/**
 * The schema model: what a database's catalogs say about its schema, as plain JSON data.
 *
 * Independent of how the database was built: no OIDs, no relfilenodes, no attnums. Column order
 * is the only physical fact kept, as its own list (`columnOrder`), because a patch can only ever
 * append columns. Every map is keyed by name and its keys are sorted, so two databases with the
 * same schema give the same JSON, byte for byte, apart from `columnOrder`.
 *
 * Names are written as SQL would need them: `myapp.book`, `"Odd Schema".t`, and functions by
 * their input types, `myapp.author_revenue(bigint)`. Types, expressions and definitions come from
 * the server's own deparsers (format_type, pg_get_expr, pg_get_*def) with `search_path` set to
 * `pg_catalog`, so every user object in them is schema-qualified. Their text can differ between
 * PostgreSQL majors: compare models taken from servers of the same major.
 */

/** Privileges by grantee (a role name, or `PUBLIC`), e.g. `{ myapp: ['SELECT', 'INSERT'] }`.
 * A privilege held with the right to grant it is written `SELECT WITH GRANT OPTION`.
 * Where the catalog holds no ACL (the built-in default), the default is written out, so that a
 * GRANT undone by a REVOKE compares equal to never granting. */
export type Grants = Record<string, string[]>;

export interface SchemaModel {
  /** Version of this format; changes when a field changes meaning. */
  format: 1;
  /** `server_version_num` of the server inspected. Not compared. */
  serverVersion: number;
  schemas: Record<string, Schema>;
  /** By extension name. Objects that belong to an extension are not in the model. */
  extensions: Record<string, Extension>;
  collations: Record<string, Collation>;
  /** Enum, domain, composite and range types created with CREATE TYPE / CREATE DOMAIN. */
  types: Record<string, TypeDef>;
  /** Tables, partitioned tables and foreign tables. */
  tables: Record<string, Table>;
  /** Views and materialized views. */
  views: Record<string, View>;
  /** Sequences, except those of identity columns (see `Column.identity`). */
  sequences: Record<string, Sequence>;
  /** Functions, procedures and aggregates, by `schema.name(input types)`; not those a range type comes with. */
  functions: Record<string, Routine>;
  /** ALTER DEFAULT PRIVILEGES, by `for role R [in schema S] on TYPE`. */
  defaultPrivileges: Record<string, DefaultPrivileges>;
  /** Logical replication publications, by name. */
  publications: Record<string, Publication>;
  /** Event triggers, by name; not those of an extension. */
  eventTriggers: Record<string, EventTrigger>;
}

export interface Schema {
  name: string;
  owner: string;
  grants: Grants;
  comment?: string;
}

export interface Extension {
  name: string;
  version: string;
  /** The schema its objects were created in. */
  schema: string;
}

export interface Collation {
  schema: string;
  name: string;
  owner: string;
  provider: 'libc' | 'icu' | 'builtin' | 'default';
  /** ICU or builtin locale. */
  locale?: string;
  /** libc LC_COLLATE and LC_CTYPE. */
  lcCollate?: string;
  lcCtype?: string;
  deterministic: boolean;
  /** ICU tailoring rules (PostgreSQL 16+). */
  rules?: string;
  comment?: string;
}

interface TypeBase {
  schema: string;
  name: string;
  owner: string;
  grants: Grants;
  comment?: string;
}

export interface EnumType extends TypeBase {
  kind: 'enum';
  /** In sort order. */
  labels: string[];
}

export interface DomainType extends TypeBase {
  kind: 'domain';
  baseType: string;
  notNull: boolean;
  default?: string;
  /** Only when it differs from the base type's. */
  collation?: string;
  constraints: Record<string, DomainConstraint>;
}

export interface DomainConstraint {
  /** pg_get_constraintdef: `CHECK (...)`, with ` NOT VALID` when not validated. */
  definition: string;
  valid: boolean;
  comment?: string;
}

export interface CompositeType extends TypeBase {
  kind: 'composite';
  /** In order: the order is part of the type. */
  attributes: Array<{ name: string; type: string; collation?: string }>;
}

export interface RangeType extends TypeBase {
  kind: 'range';
  subtype: string;
  /** Only when not the subtype's default operator class. */
  subtypeOpclass?: string;
  collation?: string;
  canonical?: string;
  subtypeDiff?: string;
  /** The multirange type PostgreSQL 14+ creates with it (multirange_type_name), qualified. */
  multirange?: string;
}

export type TypeDef = EnumType | DomainType | CompositeType | RangeType;

interface RelationBase {
  schema: string;
  name: string;
  owner: string;
  /** By column name (sorted); the order of the columns is `columnOrder`. */
  columns: Record<string, Column>;
  columnOrder: string[];
  indexes: Record<string, Index>;
  triggers: Record<string, Trigger>;
  /** Rules other than a view's own SELECT rule. */
  rules: Record<string, Rule>;
  /** reloptions (`fillfactor=70`, `security_barrier=true`), sorted. */
  options?: string[];
  grants: Grants;
  comment?: string;
}

export interface Table extends RelationBase {
  kind: 'table' | 'partitioned table' | 'foreign table';
  constraints: Record<string, Constraint>;
  policies: Record<string, Policy>;
  /** Extended statistics (CREATE STATISTICS), by qualified name. */
  statistics: Record<string, Statistics>;
  rowSecurity: boolean;
  forceRowSecurity: boolean;
  unlogged?: true;
  /** pg_get_partkeydef: `RANGE (ordered_at)`. */
  partitionKey?: string;
  /** The parent, when this table is a partition. */
  partitionOf?: string;
  /** pg_get_expr(relpartbound): `FOR VALUES FROM (...) TO (...)`, `DEFAULT`. */
  partitionBound?: string;
  /** Parents by plain inheritance (INHERITS), in order. */
  inherits?: string[];
  /** Only when not the default (the primary key). */
  replicaIdentity?: 'nothing' | 'full' | 'index';
}

export interface View extends RelationBase {
  kind: 'view' | 'materialized view';
  /** pg_get_viewdef. */
  definition: string;
}

export interface Column {
  /** format_type: `integer`, `character varying(100)`, `myapp.isbn13`. */
  type: string;
  notNull: boolean;
  /** pg_get_expr of the default; absent for generated columns (see `generated`). */
  default?: string;
  identity?: Identity;
  generated?: { kind: 'stored' | 'virtual'; expression: string };
  /** Only when it differs from the type's collation. */
  collation?: string;
  /**
   * A column a child table has only from its parents (plain inheritance, `attislocal` false): not
   * declared by the table itself, so it goes when the parents drop it. Not set on partitions,
   * whose columns always come from their parent.
   */
  inherited?: true;
  /** Column privileges (GRANT SELECT (col) ...), when any. */
  grants?: Grants;
  comment?: string;
}

/**
 * An identity column and the options and privileges of its sequence (whose name is left out: it
 * is generated). Numbers are strings: they are bigints. A partition's identity column has no
 * sequence of its own (PostgreSQL 17+), so only `generation`.
 */
export interface Identity {
  generation: 'always' | 'by default';
  /** The sequence's qualified name (`myapp.book_id_seq`): pg_dump shows it. Not compared by `compareModels`. */
  sequence?: string;
  type?: string;
  start?: string;
  increment?: string;
  min?: string;
  max?: string;
  cache?: string;
  cycle?: boolean;
  grants?: Grants;
}

export interface Constraint {
  type: 'primary key' | 'unique' | 'foreign key' | 'check' | 'exclusion';
  /** pg_get_constraintdef, e.g. `FOREIGN KEY (a) REFERENCES s.t(id) DEFERRABLE INITIALLY DEFERRED`. */
  definition: string;
  deferrable: boolean;
  initiallyDeferred: boolean;
  /** False for a constraint added NOT VALID and not validated since. */
  valid: boolean;
  /**
   * On a partition: the parent's primary key, unique or exclusion constraint this one is attached
   * to (its name on the parent). The partition's copies of the parent's CHECK constraints and
   * foreign keys are not listed: they follow the parent's.
   */
  attachedTo?: string;
  /**
   * A child's (or partition's) copy of its parent's CHECK constraint, listed only because the
   * child validated it while the parent's is NOT VALID (pg_dump shows it on the child).
   */
  inherited?: true;
  comment?: string;
}

export interface Index {
  /** pg_get_indexdef without `CREATE INDEX name ON table`: `btree (title) WHERE (...)`. */
  definition: string;
  method: string;
  unique: boolean;
  /** The partial index predicate. */
  predicate?: string;
  /** False after a failed CREATE INDEX CONCURRENTLY, and for a partitioned table's index that misses a partition's. */
  valid: boolean;
  /** On a partition: the index of the parent it is attached to (`ALTER INDEX ... ATTACH PARTITION`), by its name. */
  attachedTo?: string;
  replicaIdentity?: true;
  comment?: string;
}

export interface Trigger {
  /** pg_get_triggerdef. */
  definition: string;
  enabled: 'origin' | 'disabled' | 'replica' | 'always';
  comment?: string;
}

export interface Policy {
  command: 'ALL' | 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';
  permissive: boolean;
  /** Sorted role names; `PUBLIC` for all. */
  roles: string[];
  using?: string;
  withCheck?: string;
  comment?: string;
}

export interface Rule {
  /** pg_get_ruledef. */
  definition: string;
  enabled: 'origin' | 'disabled' | 'replica' | 'always';
  comment?: string;
}

export interface Statistics {
  /** pg_get_statisticsobjdef. */
  definition: string;
  comment?: string;
}

export interface Sequence {
  schema: string;
  name: string;
  owner: string;
  type: string;
  start: string;
  increment: string;
  min: string;
  max: string;
  cache: string;
  cycle: boolean;
  /** `schema.table.column` for OWNED BY (serial columns). */
  ownedBy?: string;
  grants: Grants;
  comment?: string;
}

export interface Routine {
  schema: string;
  name: string;
  kind: 'function' | 'procedure' | 'aggregate' | 'window function';
  /** pg_get_function_arguments: names, modes and defaults. */
  arguments: string;
  /** pg_get_function_result; absent for procedures. */
  returns?: string;
  language: string;
  volatility: 'immutable' | 'stable' | 'volatile';
  strict: boolean;
  securityDefiner: boolean;
  leakproof: boolean;
  parallel: 'safe' | 'restricted' | 'unsafe';
  cost: number;
  rows: number;
  /** SET clauses: `search_path=pg_catalog, pg_temp`. */
  config?: string[];
  /** The source as written (prosrc), or the deparsed BEGIN ATOMIC body. */
  body: string;
  /** For aggregates: transition function, state type and so on. */
  aggregate?: Record<string, string>;
  owner: string;
  grants: Grants;
  comment?: string;
}

export interface DefaultPrivileges {
  role: string;
  /** Absent for defaults that apply in every schema. */
  schema?: string;
  objectType: 'tables' | 'sequences' | 'functions' | 'types' | 'schemas' | 'large objects';
  grants: Grants;
}

export interface Publication {
  name: string;
  owner: string;
  /** FOR ALL TABLES. */
  allTables: boolean;
  /** The operations published (`publish = '...'`), of insert, update, delete, truncate, in that order. */
  publish: string[];
  /** publish_via_partition_root. */
  viaRoot: boolean;
  /** Member tables (FOR TABLE), by qualified name. */
  tables: Record<string, PublicationTable>;
  /** FOR TABLES IN SCHEMA (PostgreSQL 15+), sorted. */
  schemas: string[];
  comment?: string;
}

export interface PublicationTable {
  /** The column list (PostgreSQL 15+), in column order; absent for all columns. */
  columns?: string[];
  /** The row filter (PostgreSQL 15+), pg_get_expr: `(amount > 0)`. */
  rowFilter?: string;
}

export interface EventTrigger {
  name: string;
  /** `ddl_command_start`, `ddl_command_end`, `sql_drop`, `table_rewrite`, `login`. */
  event: string;
  /** The function it executes, as the model's key: `myapp.log_ddl()`. */
  function: string;
  enabled: 'origin' | 'disabled' | 'replica' | 'always';
  /** WHEN TAG IN (...), sorted; absent for every command. */
  tags?: string[];
  owner: string;
  comment?: string;
}

/**
 * One object of the model needs another to exist first (pg_depend): not part of the model (see
 * `inspectDependencies`). `name` is the object's key in the model: `myapp.isbn13` for a type,
 * `myapp.isbn13_is_valid(text)` for a function, `myapp.book` for a table, view or sequence.
 */
export interface DependencyRef {
  /** An operator class is `schema.name` (its access method aside); an extension, its name. */
  kind: 'type' | 'function' | 'relation' | 'operator class' | 'extension';
  name: string;
}

export interface Dependency {
  object: DependencyRef;
  on: DependencyRef;
}

/** A table to leave out of the model; without `schema`, in any schema. */
export interface ExcludeTable {
  schema?: string;
  table: string;
}

export interface InspectOptions {
  /** Default: `DEFAULT_EXCLUDE`, the tool's own record table in any schema. */
  exclude?: ExcludeTable[];
}

export const DEFAULT_EXCLUDE: readonly ExcludeTable[] = [{ table: 'schema_patch' }];
