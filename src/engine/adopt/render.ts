/**
 * `renderSchemaFiles`: a `SchemaModel` as plain SQL schema files, one per app plus the shared ones.
 *
 * A pure function: model in, file names and texts out. Every name is written schema-qualified,
 * as the model has it (the deparsers ran with search_path = pg_catalog), so the files load the
 * same whatever search_path the loading session has.
 *
 * The order of database.sql is what makes the files load into an empty database:
 *   schemas, extensions, collations -> sequences.sql (those no table owns: they need nothing) ->
 *   types.sql -> functions.sql -> one file per app (sequences owned by its tables, tables, their
 *   primary/unique/check constraints, indexes, triggers, policies) -> functions_late.sql ->
 *   views.sql -> constraints.sql (every foreign key, after every table, so references across
 *   apps work in any order) -> default privileges, last, so that they add nothing to the objects
 *   created above that the original did not have.
 * Types, functions and views are written in the order their dependencies need (pg_depend, given
 * as `RenderOptions.dependencies`): each into the first of those files that may hold it and comes
 * after everything it needs, and after what it needs within the file. So a domain whose CHECK calls a function is written in functions.sql after
 * it, a function whose signature or SQL-standard body names a table in functions_late.sql, one
 * that names a view in views.sql. Tables stay in their app's file; what they need (column types,
 * functions of defaults, checks and triggers) comes before it, or adopt says so (`notCarried`).
 *
 * Limits (see README, "Switching an existing Django project"): owners are written only where
 * they differ from the role that owns most objects (load as that role); foreign tables, range
 * types with canonical functions, and the owner's own revoked privileges are not carried over.
 */
import type {
  Collation, Column, Constraint, DefaultPrivileges, Dependency, Grants, Routine, SchemaModel, Sequence, Table, TypeDef, View,
} from '../inspect/model';
import { qualifiedName, quoteName } from '../inspect/model';

export interface RenderOptions {
  /** Table-name prefixes that name the apps (`auth`, `django`, `myapp`); default: the text before the first `_`. */
  apps?: string[];
  /** Tables left out of the model on purpose, named in a comment of database.sql. */
  leftOut?: string[];
  /**
   * What depends on what (`inspectDependencies`). Without it, only what the model's texts show:
   * functions whose signature names a table or view, views whose query names another view.
   */
  dependencies?: Dependency[];
}

export interface RenderedFile {
  /** Relative to the schema folder. */
  name: string;
  content: string;
  /** What it holds, for people: `3 tables`. */
  summary: string;
}

export interface RenderResult {
  /** In the order database.sql includes them; database.sql last. */
  files: RenderedFile[];
  /** The role most objects belong to: the files say "owner to" only for other owners. */
  mainOwner?: string;
  /** Objects the model has but the files do not create (or create before something they need), with why. */
  notCarried: Array<{ object: string; reason: string }>;
}

const SHARED = new Set(['database', 'types', 'functions', 'sequences', 'functions_late', 'views', 'constraints']);

export function renderSchemaFiles(model: SchemaModel, options: RenderOptions = {}): RenderResult {
  const r = new Renderer(model, options);
  return r.render();
}

class Renderer {
  private readonly mainOwner?: string;
  private readonly notCarried: RenderResult['notCarried'] = [];
  private readonly relationNames: string[];

  constructor(private readonly model: SchemaModel, private readonly options: RenderOptions) {
    this.mainOwner = mostCommon([
      ...Object.values(model.tables), ...Object.values(model.views), ...Object.values(model.sequences),
      ...Object.values(model.functions), ...Object.values(model.types),
    ].map((o) => o.owner));
    this.relationNames = [...Object.keys(model.tables), ...Object.keys(model.views)];
  }

  render(): RenderResult {
    const m = this.model;
    const files: RenderedFile[] = [];
    const add = (name: string, lines: string[], summary: string, title: string) => {
      if (lines.length) files.push({ name, content: `-- ${name}: ${title}\n\n${lines.join('\n')}\n`, summary });
    };
    const owned = new Map<string, Sequence[]>();
    const free: Sequence[] = [];
    for (const s of Object.values(m.sequences)) {
      const table = s.ownedBy ? s.ownedBy.slice(0, s.ownedBy.lastIndexOf('.')) : undefined;
      if (table && m.tables[table]) owned.set(table, [...(owned.get(table) ?? []), s]);
      else free.push(s);
    }
    const groups = this.groupTables();
    const placed = this.place(free, owned, groups);
    const render = (ids: string[]) => ids.flatMap((id) => this.object(id));

    add('sequences.sql', free.flatMap((s) => this.sequence(s)), `${free.length} sequences`, 'sequences that no column owns');
    add('types.sql', render(placed[Phase.types]), count(placed[Phase.types]), 'enums, composite types, ranges and domains');
    add('functions.sql', render(placed[Phase.functions]), count(placed[Phase.functions]),
      'functions and procedures, and the types that need one of them, in dependency order');

    for (const [app, tables] of groups) {
      const name = SHARED.has(app) ? `app_${app}.sql` : `${app}.sql`;
      const lines: string[] = [];
      const seqs = tables.flatMap(([k]) => owned.get(k) ?? []);
      for (const s of seqs) lines.push(...this.sequence(s));
      for (const [k, t] of tables) lines.push(...this.table(k, t));
      for (const s of seqs) lines.push(`alter sequence ${qualifiedName(s.schema, s.name)} owned by ${s.ownedBy};`, '');
      add(name, lines, `${tables.length} tables`, app === 'other' ? 'tables without an app prefix' : `the tables of app ${app}`);
    }

    add('functions_late.sql', render(placed[Phase.late]), count(placed[Phase.late]),
      'functions (and types) that need a table: a table type in their signature, a table in their SQL-standard body');
    add('views.sql', render(placed[Phase.views]), count(placed[Phase.views]),
      'views, and the functions and types that need one, in dependency order');

    const fks = Object.entries(m.tables).flatMap(([k, t]) => Object.entries(t.constraints)
      .filter(([, c]) => c.type === 'foreign key').flatMap(([n, c]) => this.constraint(k, n, c)));
    add('constraints.sql', fks, `${fks.filter((l) => l.startsWith('alter table')).length} foreign keys`,
      'foreign keys, after every table so that references across apps work');

    files.push({ name: 'database.sql', content: this.database(files.map((f) => f.name)), summary: 'the entry point' });
    return { files, mainOwner: this.mainOwner, notCarried: this.notCarried };
  }

  // --- order ------------------------------------------------------------------------------------

  /**
   * The types, functions and views of each file, in the order to write them. An object goes
   * into the first file that may hold its kind and comes after every file holding something it
   * depends on; within a file, after what it depends on (depth first, dependencies first, else
   * the usual order: enums, composites, ranges, domains, then by name). What cannot be placed
   * so (a table needing a function that needs a table, a cycle) is reported in `notCarried`.
   */
  private place(free: Sequence[], owned: Map<string, Sequence[]>, groups: Map<string, Array<[string, Table]>>): Record<Phase, string[]> {
    const m = this.model;
    const deps = this.dependencies();
    const fixed = new Map<string, Phase>();
    for (const s of free) fixed.set(`relation ${qualifiedName(s.schema, s.name)}`, Phase.sequences);
    for (const seqs of owned.values()) for (const s of seqs) fixed.set(`relation ${qualifiedName(s.schema, s.name)}`, Phase.apps);
    for (const k of Object.keys(m.tables)) fixed.set(`relation ${k}`, Phase.apps);

    const rank = { enum: 0, composite: 1, range: 2, domain: 3 };
    const movable = new Set([
      ...Object.entries(m.types).sort(([ka, a], [kb, b]) => rank[a.kind] - rank[b.kind] || compare(ka, kb)).map(([k]) => `type ${k}`),
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
    const out: Record<Phase, string[]> = { [Phase.sequences]: [], [Phase.types]: [], [Phase.functions]: [], [Phase.apps]: [], [Phase.late]: [], [Phase.views]: [] };
    for (const id of movable) out[phaseOf(id, new Set())!].push(id);
    for (const p of [Phase.types, Phase.functions, Phase.late, Phase.views]) out[p] = dependenciesFirst(out[p], deps);

    // Where each object ends up, in load order: whatever needs something created after it is reported.
    const position = new Map<string, number>();
    const at = (id: string) => position.set(id, position.size);
    for (const s of free) at(`relation ${qualifiedName(s.schema, s.name)}`);
    for (const id of [...out[Phase.types], ...out[Phase.functions]]) at(id);
    for (const [, tables] of groups) {
      for (const [k] of tables) for (const s of owned.get(k) ?? []) at(`relation ${qualifiedName(s.schema, s.name)}`);
      for (const [k] of tables) at(`relation ${k}`);
    }
    for (const id of [...out[Phase.late], ...out[Phase.views]]) at(id);
    for (const [id, needs] of deps) {
      const later = needs.filter((d) => position.has(d) && position.has(id) && position.get(d)! > position.get(id)!);
      if (later.length) {
        this.notCarried.push({
          object: this.describe(id),
          reason: `written before ${later.map((d) => this.describe(d)).join(', ')}, which it needs: the files will not load until it is moved after it by hand`,
        });
      }
    }
    return out;
  }

  /** `kind key` -> the `kind key`s it depends on, from pg_depend or, without it, from the model's texts. */
  private dependencies(): Map<string, string[]> {
    const m = this.model;
    const edges: Dependency[] = this.options.dependencies ?? [
      ...Object.entries(m.functions).flatMap(([k, f]) => this.relationNames.filter((n) => mentions(`${f.arguments} ${f.returns ?? ''}`, n))
        .map((n): Dependency => ({ object: { kind: 'function', name: k }, on: { kind: 'relation', name: n } }))),
      ...Object.entries(m.views).flatMap(([k, v]) => Object.keys(m.views).filter((n) => n !== k && mentions(v.definition, n))
        .map((n): Dependency => ({ object: { kind: 'relation', name: k }, on: { kind: 'relation', name: n } }))),
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
  private describe(id: string): string {
    const m = this.model;
    const [of, key] = [id.slice(0, id.indexOf(' ')), id.slice(id.indexOf(' ') + 1)];
    if (of === 'type') return `${m.types[key]?.kind === 'domain' ? 'domain' : 'type'} ${key}`;
    if (of === 'function') return `${m.functions[key]?.kind ?? 'function'} ${key}`;
    return `${m.tables[key]?.kind ?? m.views[key]?.kind ?? 'sequence'} ${key}`;
  }

  /** The statements of a type, function or view, by its `kind key`. */
  private object(id: string): string[] {
    const key = id.slice(id.indexOf(' ') + 1);
    if (id.startsWith('type ')) return this.type(this.model.types[key]);
    if (id.startsWith('function ')) return this.routine(key, this.model.functions[key]);
    return this.view(key, this.model.views[key]);
  }

  // --- database.sql ---------------------------------------------------------------------------

  private database(includes: string[]): string {
    const m = this.model;
    const out = [
      '-- database.sql: entry point of the schema, written by `pgpatch adopt` from a live database.',
      '--',
      '-- Load it into an EMPTY database, from this folder:  pgpatch load   (or psql -X -v ON_ERROR_STOP=1 -f database.sql URL)',
      '-- It creates no roles and copies no data: the roles named in grants and owners must exist.',
      this.mainOwner ? `-- Most objects were owned by ${this.mainOwner}: load as that role (only other owners are written out).` : '',
      ...(this.options.leftOut?.length
        ? ['--', `-- Left out on purpose: ${this.options.leftOut.join(', ')} (Django's migration history: pgpatch's`,
          '-- schema_patch record replaces it; Django must not migrate this database any more).']
        : []),
      '-- Later changes go into BOTH these files and a patch in patches/ (pgpatch makemigrations NAME).',
      '',
      // As pg_dump does. The bodies of PL/pgSQL functions and of SQL functions written as a
      // string are not in pg_depend, so no order can be derived for what they name: with this
      // off they are not checked when created, only when they run (SQL-standard bodies, BEGIN
      // ATOMIC / RETURN, are parsed anyway: pg_depend has what they need, and they are ordered by it).
      '-- Function bodies are checked when they run, not when created: a body may name what comes later.',
      'set check_function_bodies = off;',
      '',
    ].filter((l, i, a) => l !== '' || a[i - 1] !== '');
    for (const [key, s] of Object.entries(m.schemas)) {
      if (s.name !== 'public') out.push(`create schema ${key};`);
      out.push(...this.owner('schema', key, s.owner, s.name === 'public'));
      out.push(...this.grants('schema', key, s.grants, s.owner));
      if (s.comment !== undefined) out.push(`comment on schema ${key} is ${lit(s.comment)};`);
    }
    for (const x of Object.values(m.extensions)) {
      if (x.name === 'plpgsql') continue;
      out.push(`create extension if not exists ${quoteName(x.name)} with schema ${quoteName(x.schema)} version ${lit(x.version)};`);
    }
    for (const [key, c] of Object.entries(m.collations)) out.push(...this.collation(key, c));
    out.push('');
    for (const f of includes) out.push(`\\i ${f}`);
    const dp = Object.values(m.defaultPrivileges).flatMap((d) => this.defaultPrivileges(d));
    if (dp.length) out.push('', '--- default privileges last: they apply to objects created after them, and the objects', '--- above have the privileges they had in the original database already.', ...dp);
    out.push('', 'reset check_function_bodies;');
    return out.join('\n') + '\n';
  }

  private collation(key: string, c: Collation): string[] {
    const opts = [`provider = ${c.provider}`];
    if (c.locale !== undefined) opts.push(`locale = ${lit(c.locale)}`);
    if (c.lcCollate !== undefined) opts.push(`lc_collate = ${lit(c.lcCollate)}`);
    if (c.lcCtype !== undefined) opts.push(`lc_ctype = ${lit(c.lcCtype)}`);
    if (!c.deterministic) opts.push('deterministic = false');
    if (c.rules !== undefined) opts.push(`rules = ${lit(c.rules)}`);
    return [`create collation ${key} (${opts.join(', ')});`, ...this.owner('collation', key, c.owner), ...comment('collation', key, c.comment)];
  }

  private defaultPrivileges(d: DefaultPrivileges): string[] {
    const head = `alter default privileges for role ${quoteName(d.role)}${d.schema ? ` in schema ${quoteName(d.schema)}` : ''}`;
    const on = d.objectType;
    const out: string[] = [];
    if (!d.schema) out.push(`${head} revoke all on ${on} from public;`);
    for (const [grantee, privs] of Object.entries(d.grants)) {
      if (grantee === d.role && !d.schema) continue;
      out.push(...grantLines(privs, (p, opt) => `${head} grant ${p} on ${on} to ${role(grantee)}${opt};`));
    }
    return out;
  }

  // --- types and functions --------------------------------------------------------------------

  private type(t: TypeDef): string[] {
    const key = qualifiedName(t.schema, t.name);
    const lines: string[] = [];
    if (t.kind === 'enum') lines.push(`create type ${key} as enum (${t.labels.map(lit).join(', ')});`);
    else if (t.kind === 'composite') {
      lines.push(`create type ${key} as (${t.attributes.map((a) => `${quoteName(a.name)} ${a.type}${a.collation ? ` collate ${a.collation}` : ''}`).join(', ')});`);
    } else if (t.kind === 'range') {
      if (t.canonical) this.notCarried.push({ object: `range type ${key}`, reason: 'its canonical function needs a shell type: write it by hand' });
      const o = [`subtype = ${t.subtype}`];
      if (t.subtypeOpclass) o.push(`subtype_opclass = ${t.subtypeOpclass}`);
      if (t.collation) o.push(`collation = ${t.collation}`);
      if (t.subtypeDiff) o.push(`subtype_diff = ${t.subtypeDiff}`);
      if (t.multirange) o.push(`multirange_type_name = ${t.multirange}`);
      lines.push(`create type ${key} as range (${o.join(', ')});`);
    } else {
      lines.push(`create domain ${key} as ${t.baseType}${t.collation ? ` collate ${t.collation}` : ''}`
        + `${t.default !== undefined ? ` default ${t.default}` : ''}${t.notNull ? ' not null' : ''};`);
      for (const [n, c] of Object.entries(t.constraints)) {
        lines.push(`alter domain ${key} add constraint ${quoteName(n)} ${c.definition};`);
        if (c.comment !== undefined) lines.push(`comment on constraint ${quoteName(n)} on domain ${key} is ${lit(c.comment)};`);
      }
    }
    const kind = t.kind === 'domain' ? 'domain' : 'type';
    lines.push(...this.owner(kind, key, t.owner), ...this.grants(kind, key, t.grants, t.owner), ...comment(kind, key, t.comment), '');
    return lines;
  }

  private routine(key: string, f: Routine): string[] {
    const name = qualifiedName(f.schema, f.name);
    const kind = f.kind === 'procedure' ? 'procedure' : f.kind === 'aggregate' ? 'aggregate' : 'function';
    const lines: string[] = [];
    if (f.kind === 'aggregate') {
      const a = f.aggregate ?? {};
      const o = [`sfunc = ${a.sfunc}`, `stype = ${a.stype}`];
      if (a.initcond !== undefined) o.push(`initcond = ${lit(a.initcond)}`);
      if (a.finalfunc) o.push(`finalfunc = ${a.finalfunc}`);
      if (a.combinefunc) o.push(`combinefunc = ${a.combinefunc}`);
      if (a.sortop) o.push(`sortop = ${a.sortop.replace(/\(.*$/, '')}`);
      if (f.parallel !== 'unsafe') o.push(`parallel = ${f.parallel}`);
      lines.push(`create aggregate ${name}(${f.arguments || '*'}) (${o.join(', ')});`);
    } else {
      const head = [`create ${kind} ${name}(${f.arguments})`];
      if (f.returns !== undefined) head.push(`returns ${f.returns}`);
      head.push(`language ${quoteName(f.language)}`);
      if (f.kind !== 'procedure') {
        if (f.kind === 'window function') head.push('window');
        head.push(f.volatility);
        if (f.strict) head.push('strict');
        if (f.leakproof) head.push('leakproof');
        head.push(`parallel ${f.parallel}`, `cost ${f.cost}`);
        if (f.rows > 0) head.push(`rows ${f.rows}`);
      }
      if (f.securityDefiner) head.push('security definer');
      for (const c of f.config ?? []) {
        const eq = c.indexOf('=');
        const [n, v] = [c.slice(0, eq), c.slice(eq + 1)];
        head.push(`set ${n} = ${/^(search_path|temp_tablespaces)$/.test(n) ? v : lit(v)}`);
      }
      const atomic = f.language === 'sql' && /^\s*(BEGIN\s+ATOMIC|RETURN)\b/.test(f.body);
      lines.push(`${head.join('\n  ')}\n${atomic ? f.body : `as ${dollar(f.body)}`};`);
    }
    lines.push(...this.owner(kind, key, f.owner), ...this.grants(kind === 'procedure' ? 'procedure' : 'function', key, f.grants, f.owner),
      ...comment(kind, key, f.comment), '');
    return lines;
  }

  // --- tables -----------------------------------------------------------------------------------

  private groupTables(): Map<string, Array<[string, Table]>> {
    const tables = orderTables(this.model.tables);
    const groupOf = new Map<string, string>();
    const groups = new Map<string, Array<[string, Table]>>();
    for (const [key, t] of tables) {
      const parent = t.partitionOf ?? t.inherits?.[0];
      // A partition or child goes with its parent: it must come after it.
      const g = parent && groupOf.has(parent) ? groupOf.get(parent)! : this.appOf(t.name);
      groupOf.set(key, g);
      groups.set(g, [...(groups.get(g) ?? []), [key, t]]);
    }
    return new Map([...groups].sort(([a], [b]) => (a === 'other' ? 1 : b === 'other' ? -1 : a.localeCompare(b))));
  }

  private appOf(table: string): string {
    const apps = [...(this.options.apps ?? [])].sort((a, b) => b.length - a.length);
    if (this.options.apps?.length) return apps.find((a) => table.startsWith(`${a}_`)) ?? 'other';
    const at = table.indexOf('_');
    const prefix = at > 0 ? table.slice(0, at) : '';
    return /^[a-z0-9]+$/.test(prefix) ? prefix : 'other';
  }

  private table(key: string, t: Table): string[] {
    if (t.kind === 'foreign table') {
      this.notCarried.push({ object: `foreign table ${key}`, reason: 'its server and options are not in the model' });
      return [`-- foreign table ${key} is not carried over: create its server and the table by hand`, ''];
    }
    const lines: string[] = [];
    const parent = t.partitionOf ? this.model.tables[t.partitionOf] : undefined;
    const cols = t.columnOrder.map((c) => [c, t.columns[c]] as [string, Column]);
    if (parent) {
      lines.push(`create table ${key} partition of ${t.partitionOf}${t.partitionKey ? `\n  partition by ${t.partitionKey}` : ''}\n  ${t.partitionBound};`);
      for (const [name, c] of cols) {
        const p = parent.columns[name];
        const alter = `alter table ${key} alter column ${quoteName(name)}`;
        if (c.default !== p?.default) lines.push(c.default === undefined ? `${alter} drop default;` : `${alter} set default ${c.default};`);
        if (c.notNull && !p?.notNull) lines.push(`${alter} set not null;`);
      }
    } else {
      const defs = cols.map(([name, c]) => `  ${quoteName(name)} ${column(c)}`);
      let tail = '';
      if (t.inherits?.length) tail += `\ninherits (${t.inherits.join(', ')})`;
      if (t.partitionKey) tail += `\npartition by ${t.partitionKey}`;
      if (t.options?.length) tail += `\nwith (${t.options.join(', ')})`;
      lines.push(`create${t.unlogged ? ' unlogged' : ''} table ${key} (\n${defs.join(',\n')}\n)${tail};`);
    }
    const own = Object.entries(t.constraints).filter(([, c]) => c.type !== 'foreign key')
      .sort(([, a], [, b]) => rankConstraint(a) - rankConstraint(b));
    for (const [n, c] of own) lines.push(...this.constraint(key, n, c));
    lines.push(...this.relationParts(key, t));
    for (const [n, s] of Object.entries(t.statistics)) {
      lines.push(`${s.definition};`, ...comment('statistics', n, s.comment));
    }
    if (t.rowSecurity) lines.push(`alter table ${key} enable row level security;`);
    if (t.forceRowSecurity) lines.push(`alter table ${key} force row level security;`);
    for (const [n, p] of Object.entries(t.policies)) {
      lines.push(`create policy ${quoteName(n)} on ${key} as ${p.permissive ? 'permissive' : 'restrictive'} for ${p.command.toLowerCase()}`
        + ` to ${p.roles.map(role).join(', ')}${p.using ? ` using (${p.using})` : ''}${p.withCheck ? ` with check (${p.withCheck})` : ''};`);
      lines.push(...comment(`policy ${quoteName(n)} on`, key, p.comment));
    }
    if (t.replicaIdentity === 'full' || t.replicaIdentity === 'nothing') lines.push(`alter table ${key} replica identity ${t.replicaIdentity};`);
    const ri = Object.entries(t.indexes).find(([, i]) => i.replicaIdentity);
    if (ri) lines.push(`alter table ${key} replica identity using index ${quoteName(ri[0])};`);
    lines.push(...this.relationTail('table', key, t));
    return lines;
  }

  private constraint(table: string, name: string, c: Constraint): string[] {
    return [`alter table ${table} add constraint ${quoteName(name)} ${c.definition};`,
      ...(c.comment !== undefined ? [`comment on constraint ${quoteName(name)} on ${table} is ${lit(c.comment)};`] : [])];
  }

  /** Indexes, triggers and rules: what tables and views share. */
  private relationParts(key: string, r: Table | View): string[] {
    const lines: string[] = [];
    const schema = quoteName(r.schema);
    for (const [n, i] of Object.entries(r.indexes)) {
      lines.push(`create ${i.unique ? 'unique ' : ''}index ${quoteName(n)} on ${key} using ${i.definition};`);
      if (!i.valid) this.notCarried.push({ object: `index ${schema}.${quoteName(n)}`, reason: 'invalid in the original (a failed CREATE INDEX CONCURRENTLY): written as a valid index' });
      lines.push(...comment('index', `${schema}.${quoteName(n)}`, i.comment));
    }
    for (const [n, tr] of Object.entries(r.triggers)) {
      lines.push(`${tr.definition};`, ...enabled('trigger', n, key, tr.enabled), ...comment(`trigger ${quoteName(n)} on`, key, tr.comment));
    }
    for (const [n, ru] of Object.entries(r.rules)) {
      lines.push(/;\s*$/.test(ru.definition) ? ru.definition : `${ru.definition};`, ...enabled('rule', n, key, ru.enabled),
        ...comment(`rule ${quoteName(n)} on`, key, ru.comment));
    }
    return lines;
  }

  /** Owner, grants and comments of a relation and its columns. */
  private relationTail(kind: string, key: string, r: Table | View): string[] {
    const lines = [...this.owner(kind, key, r.owner), ...this.grants(kind === 'table' ? 'table' : 'table', key, r.grants, r.owner)];
    lines.push(...comment(kind, key, r.comment));
    for (const c of r.columnOrder) {
      const col = r.columns[c];
      if (col.comment !== undefined) lines.push(`comment on column ${key}.${quoteName(c)} is ${lit(col.comment)};`);
      for (const [grantee, privs] of Object.entries(col.grants ?? {})) {
        lines.push(...grantLines(privs, (p, opt) => `grant ${p} (${quoteName(c)}) on ${key} to ${role(grantee)}${opt};`));
      }
      if (col.identity?.grants && Object.keys(col.identity.grants).some((g) => g !== r.owner)) {
        this.notCarried.push({ object: `identity sequence of ${key}.${quoteName(c)}`, reason: 'its privileges (the sequence name is generated)' });
      }
    }
    lines.push('');
    return lines;
  }

  private sequence(s: Sequence): string[] {
    const key = qualifiedName(s.schema, s.name);
    return [`create sequence ${key} as ${s.type} increment by ${s.increment} minvalue ${s.min} maxvalue ${s.max}`
      + ` start with ${s.start} cache ${s.cache}${s.cycle ? ' cycle' : ' no cycle'};`,
    ...this.owner('sequence', key, s.owner), ...this.grants('sequence', key, s.grants, s.owner), ...comment('sequence', key, s.comment), ''];
  }

  private view(key: string, v: View): string[] {
    const kind = v.kind;
    const lines = [`create ${kind} ${key}${v.options?.length ? ` with (${v.options.join(', ')})` : ''} as\n${v.definition.trim().replace(/;$/, '')};`];
    for (const c of v.columnOrder) {
      const d = v.columns[c].default;
      if (d !== undefined) lines.push(`alter view ${key} alter column ${quoteName(c)} set default ${d};`);
    }
    lines.push(...this.relationParts(key, v));
    return [...lines, ...this.relationTail(kind, key, v)];
  }

  // --- owners and grants ----------------------------------------------------------------------

  private owner(kind: string, key: string, owner: string, isPublicSchema = false): string[] {
    if (owner === this.mainOwner || (isPublicSchema && owner === 'pg_database_owner')) return [];
    return [`alter ${kind} ${key} owner to ${quoteName(owner)};`];
  }

  /** GRANTs to everyone but the owner; PUBLIC's built-in privileges (functions, types, schemas) revoked first. */
  private grants(kind: string, key: string, grants: Grants, owner: string): string[] {
    const on = kind === 'domain' ? 'domain' : kind === 'procedure' ? 'procedure' : kind === 'function' || kind === 'aggregate' ? 'function' : kind;
    const onKind = on === 'table' ? 'table' : on;
    const lines: string[] = [];
    const publicDefault = { function: 'execute', procedure: 'execute', type: 'usage', domain: 'usage', schema: 'all' }[on as string];
    if (publicDefault) lines.push(`revoke ${publicDefault} on ${onKind} ${key} from public;`);
    for (const [grantee, privs] of Object.entries(grants)) {
      if (grantee === owner) continue;
      lines.push(...grantLines(privs, (p, opt) => `grant ${p} on ${onKind} ${key} to ${role(grantee)}${opt};`));
    }
    // A revoke followed by nothing but the same grant back to PUBLIC reads as noise: keep it, it is exact.
    return lines;
  }
}

// --- helpers ----------------------------------------------------------------------------------

function column(c: Column): string {
  let s = c.type;
  if (c.collation) s += ` collate ${c.collation}`;
  if (c.generated) s += ` generated always as (${c.generated.expression}) ${c.generated.kind}`;
  if (c.identity) {
    const i = c.identity;
    const o: string[] = [];
    if (i.start !== undefined) o.push(`start with ${i.start}`);
    if (i.increment !== undefined) o.push(`increment by ${i.increment}`);
    if (i.min !== undefined) o.push(`minvalue ${i.min}`);
    if (i.max !== undefined) o.push(`maxvalue ${i.max}`);
    if (i.cache !== undefined) o.push(`cache ${i.cache}`);
    if (i.cycle !== undefined) o.push(i.cycle ? 'cycle' : 'no cycle');
    s += ` generated ${i.generation} as identity${o.length ? ` (${o.join(' ')})` : ''}`;
  }
  if (c.default !== undefined) s += ` default ${c.default}`;
  if (c.notNull) s += ' not null';
  return s;
}

function rankConstraint(c: Constraint): number {
  return { 'primary key': 0, unique: 1, exclusion: 2, check: 3, 'foreign key': 4 }[c.type];
}

/** Parents (partitioned, inherited) before their children; otherwise by name. */
function orderTables(tables: Record<string, Table>): Array<[string, Table]> {
  const done = new Set<string>();
  const out: Array<[string, Table]> = [];
  const visit = (key: string) => {
    if (done.has(key) || !tables[key]) return;
    done.add(key);
    const t = tables[key];
    for (const p of [t.partitionOf, ...(t.inherits ?? [])]) if (p) visit(p);
    out.push([key, t]);
  };
  for (const key of Object.keys(tables)) visit(key);
  return out;
}

function enabled(kind: 'trigger' | 'rule', name: string, table: string, state: string): string[] {
  if (state === 'origin') return [];
  const how = { disabled: 'disable', replica: 'enable replica', always: 'enable always' }[state];
  return [`alter table ${table} ${how} ${kind} ${quoteName(name)};`];
}

function comment(kind: string, key: string, text: string | undefined): string[] {
  return text === undefined ? [] : [`comment on ${kind} ${key} is ${lit(text)};`];
}

/** One statement per grant option state: `SELECT, INSERT` and `SELECT WITH GRANT OPTION` apart. */
function grantLines(privs: string[], line: (privileges: string, option: string) => string): string[] {
  const plain = privs.filter((p) => !p.endsWith(' WITH GRANT OPTION'));
  const withOption = privs.filter((p) => p.endsWith(' WITH GRANT OPTION')).map((p) => p.slice(0, -' WITH GRANT OPTION'.length));
  const out: string[] = [];
  if (plain.length) out.push(line(plain.join(', ').toLowerCase(), ''));
  if (withOption.length) out.push(line(withOption.join(', ').toLowerCase(), ' with grant option'));
  return out;
}

function role(name: string): string {
  return name === 'PUBLIC' ? 'public' : quoteName(name);
}

function lit(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** A dollar-quoted body whose tag does not occur in it. */
function dollar(body: string): string {
  let tag = '$$';
  for (let i = 0; body.includes(tag); i++) tag = `$body${i || ''}$`;
  return `${tag}${body}${tag}`;
}

/** The files types, functions and views can go into, in load order (apps: never them; see `place`). */
enum Phase { sequences, types, functions, apps, late, views }

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

/** `2 functions, 1 type`: what a list of `kind key`s holds. */
function count(ids: string[]): string {
  const n = (kind: string) => ids.filter((id) => id.startsWith(`${kind} `)).length;
  const parts = [[n('type'), 'type'], [n('function'), 'function'], [n('relation'), 'view']] as const;
  return parts.filter(([c]) => c > 0).map(([c, w]) => `${c} ${w}${c === 1 ? '' : 's'}`).join(', ') || '0';
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

function mostCommon(values: string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
}
