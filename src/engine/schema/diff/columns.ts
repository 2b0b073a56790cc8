/**
 * The changes of a table's columns. Column order is left alone: a patch can only append.
 * A type change that can fail or cut values is flagged as losing data; so is a dropped column,
 * with what goes along with it (its children's inherited copies, a sequence it owns).
 *
 * Inheritance: a change made to a parent's column reaches its children and partitions by itself
 * (PostgreSQL recurses: types, defaults, NOT NULL, added and dropped columns), so a child only
 * gets what differs from its parent afterwards. A parent's column dropped while a child keeps
 * its copy is dropped from the parent only (`ALTER TABLE ONLY`): the child's becomes its own.
 */
import type { Column, SchemaModel, Table } from '../inspect/model';

import { column as columnDefinition } from '../adopt/sql-relations';
import { sequenceStatements } from '../adopt/sql-relations';
import { add, callsRebuilt, Phase, type DiffContext } from './change';
import { conversion } from './casts';
import { commentChange, grantChanges, same } from './pieces';
import { afterMoves, clampStatements, ownedSequencesOf, takePosition, type Handover } from './sequences';
import { quoteIdent, quoteLiteral } from '../../../quote';

/** A parent (partitioned or inherited) of the table, as it is in each model. */
export interface ParentPair {
  f?: Table;
  t?: Table;
}

/** The properties of a column a parent's ALTER changes in its children too. */
const RECURSIVE = ['type', 'collation', 'notNull', 'default'] as const;

export function columnChanges(
  ctx: DiffContext,
  key: string,
  f: Table,
  t: Table,
  parents: ParentPair[],
  fromModel: SchemaModel,
  toModel: SchemaModel,
): void {
  const object = `relation ${key}`;
  const at = `alter table ${key}`;
  const both = parents.filter((p) => p.f && p.t);
  // Dropped by a parent: gone with it, unless the parent drops it alone (ONLY) or the child's is its own.
  const droppedByParent = (c: string) =>
    both.some(
      (p) =>
        p.f!.columns[c] &&
        !p.t!.columns[c] &&
        (f.partitionOf || f.columns[c].inherited) &&
        !dropsOnlyFromParent(p.f!, p.t!, c, fromModel, toModel),
    );
  const gone = f.columnOrder.filter((c) => !t.columns[c] && !droppedByParent(c));
  const added = t.columnOrder.filter((c) => !f.columns[c] && !both.some((p) => !p.f!.columns[c] && p.t!.columns[c]));
  for (const c of gone) {
    const twin = added.find((a) => t.columns[a].type === f.columns[c].type);
    const only = dropsOnlyFromParent(f, t, c, fromModel, toModel);
    const children = only ? [] : inheritedBy(fromModel, key, c);
    const sequences = ownedSequencesOf(fromModel, key, c).filter((s) => !toModel.sequences[s]);
    add(ctx, {
      action: 'drop',
      phase: Phase.column,
      object,
      answers: `${t.kind} ${key}, column ${c}: dropped`,
      sql: [`alter table ${only ? 'only ' : ''}${key} drop column ${quoteIdent(c)};`],
      dataLoss:
        `drops column ${c} of ${key} and its values` +
        (children.length
          ? `, and the copies its ${t.kind === 'partitioned table' ? 'partitions' : 'children'} have (${children.join(', ')})`
          : '') +
        (sequences.length ? `, with the sequence it owns (${sequences.join(', ')})` : ''),
      note:
        [
          twin
            ? `column ${c} disappears while ${twin} (${t.columns[twin].type}) appears: if it was renamed, write "${at} rename column ${quoteIdent(c)} to ${quoteIdent(twin)};" instead of the drop and the add`
            : undefined,
          only ? `the children of ${key} keep their column ${c} as their own` : undefined,
        ]
          .filter(Boolean)
          .join('; ') || undefined,
    });
  }
  for (const c of added) {
    const col = t.columns[c];
    const def = `${at} add column ${quoteIdent(c)} ${columnDefinition(col, t, c)};`;
    const strictNew = col.notNull && col.default === undefined && !col.identity && !col.generated;
    add(ctx, {
      action: 'create',
      phase: Phase.column,
      object,
      answers: `${t.kind} ${key}, column ${c}: added`,
      sql: [
        def,
        ...commentChange('column', `${key}.${quoteIdent(c)}`, undefined, col.comment),
        ...grantChanges({}, col.grants ?? {}, [t.owner], `table ${key}`, c),
      ],
      hazard: strictNew
        ? 'NOT NULL without a default: fails on a table with rows; add it nullable, backfill it, then SET NOT NULL'
        : col.generated?.kind === 'stored' ||
            (col.default !== undefined && /\b(random|now|clock_timestamp|nextval|gen_random_uuid)\b|\(\)/.test(col.default))
          ? 'rewrites the table (a volatile default or stored generated column) under an ACCESS EXCLUSIVE lock'
          : undefined,
    });
  }
  for (const c of t.columnOrder) {
    if (!f.columns[c]) continue;
    let from: Column = { ...f.columns[c], default: afterMoves(ctx.sequences, f.columns[c].default) };
    // What a parent changes reaches the child: as if done already.
    for (const p of both) {
      const [pf, pt] = [p.f!.columns[c], p.t!.columns[c]];
      if (!pf || !pt) continue;
      const done = { ...from } as Record<string, unknown>;
      for (const prop of RECURSIVE) if (!same(pf[prop], pt[prop])) done[prop] = pt[prop];
      from = done as unknown as Column;
    }
    alterColumn(ctx, key, t, c, from, t.columns[c], fromModel, toModel);
  }
}

/**
 * A parent's column that a child keeps while the parent drops it: `ALTER TABLE ONLY` keeps the
 * children's copies, as columns of their own. Not for a partitioned table (its partitions' are its own).
 */
function dropsOnlyFromParent(f: Table, t: Table, c: string, from: SchemaModel, to: SchemaModel): boolean {
  if (f.kind === 'partitioned table' || t.columns[c]) return false;
  const key = `${quoteIdent(f.schema)}.${quoteIdent(f.name)}`;
  return Object.entries(from.tables).some(
    ([k, child]) =>
      child.inherits?.includes(key) && child.columns[c]?.inherited && to.tables[k]?.columns[c] && !to.tables[k].columns[c].inherited,
  );
}

/** The children (or partitions) of `key` whose column `c` is only inherited: a plain drop takes it from them. */
function inheritedBy(model: SchemaModel, key: string, c: string): string[] {
  return Object.entries(model.tables)
    .filter(
      ([, child]) => (child.inherits?.includes(key) && child.columns[c]?.inherited) || (child.partitionOf === key && child.columns[c]),
    )
    .map(([k]) => k);
}

function alterColumn(
  ctx: DiffContext,
  key: string,
  table: Table,
  name: string,
  f: Column,
  t: Column,
  fromModel: SchemaModel,
  toModel: SchemaModel,
): void {
  const object = `relation ${key}`;
  const ac = `alter table ${key} alter column ${quoteIdent(name)}`;
  const answers = (what: string) => `${table.kind} ${key}, column ${name}: ${what}`;
  const alter = (
    what: string,
    sql: string[],
    more: { dataLoss?: string; hazard?: string; phase?: Phase; note?: string; frees?: string[] } = {},
  ) => add(ctx, { action: 'alter', object, answers: answers(what), sql, ...more, phase: more.phase ?? Phase.column });
  if (f.inherited !== t.inherited) {
    // PostgreSQL has no ALTER for it: only a parent's ADD COLUMN makes a child's column inherited
    // only, and only NO INHERIT (for every column at once) makes it the child's own.
    add(ctx, {
      action: 'alter',
      phase: Phase.column,
      object,
      answers: answers(t.inherited ? 'only inherited' : 'declared by the table'),
      sql: [],
      note: t.inherited
        ? `column ${name} of ${key} is its own here and only inherited in the target: PostgreSQL cannot change that in place (recreate the table to match)`
        : `column ${name} of ${key} is only inherited here and the table's own in the target: "alter table ${key} no inherit PARENT; alter table ${key} inherit PARENT;" makes every inherited column its own`,
    });
  }
  if (!same(f.generated, t.generated)) {
    if (f.generated && !t.generated) {
      alter('no longer generated', [`${ac} drop expression;`]);
    } else {
      // A generated column cannot take another expression in place before PostgreSQL 17: drop and add.
      add(ctx, {
        action: 'drop',
        phase: Phase.column,
        object,
        answers: answers('generated differently'),
        sql: [`alter table ${key} drop column ${quoteIdent(name)};`],
        dataLoss: f.generated ? undefined : `drops the values of ${key}.${name} to make it a generated column`,
        hazard:
          f.generated?.kind === 'stored'
            ? 'drops the stored column: the add below rewrites the table under an ACCESS EXCLUSIVE lock'
            : undefined,
      });
      add(ctx, {
        action: 'create',
        phase: Phase.column,
        object,
        answers: answers('generated differently'),
        sql: [`alter table ${key} add column ${quoteIdent(name)} ${columnDefinition(t, table, name)};`],
        hazard:
          t.generated?.kind === 'stored'
            ? 'computes the stored column for every row: rewrites the table under an ACCESS EXCLUSIVE lock'
            : undefined,
      });
      return;
    }
  }
  const viaText = ctx.extensions.columns.get(key)?.get(name);
  if (viaText && f.type === t.type && f.collation === t.collation) {
    throughText(ctx, key, table, name, f, t, viaText);
    f = { ...f, default: t.default };
  }
  const handover = ctx.sequences.handovers.get(`${key}.${quoteIdent(name)}`);
  const retype = f.type !== t.type || f.collation !== t.collation;
  // The old default may not cast to the new type: it goes first and comes back after.
  const dropDefault = f.default !== undefined && (f.default !== t.default || retype || callsRebuilt(ctx, f.default));
  if (dropDefault) add(ctx, { action: 'drop', phase: Phase.column, object, answers: answers('default'), sql: [`${ac} drop default;`] });
  if (retype) {
    const widening = safeWidening(f.type, t.type) && f.collation === t.collation;
    const how = f.type === t.type ? { using: `${quoteIdent(name)}` } : conversion(key, name, f.type, t.type, fromModel, toModel);
    alter(`type ${f.type} -> ${t.type}`, [`${ac} type ${t.type}${t.collation ? ` collate ${t.collation}` : ''} using ${how.using};`], {
      dataLoss: widening
        ? undefined
        : how.placeholder
          ? `changes the type of ${key}.${name} from ${f.type} to ${t.type} with a placeholder: ${how.placeholder}; as written, it fails on any row with a value`
          : `changes the type of ${key}.${name} from ${f.type} to ${t.type}: the cast can fail or cut values`,
      hazard:
        widening && /^character varying|^varchar|^text$/.test(t.type) ? undefined : 'rewrites the table under an ACCESS EXCLUSIVE lock',
      // The column lets go of its old type and collation: they may be dropped after.
      frees: [`type ${f.type.replace(/(\[\])+$/, '')}`, ...(f.collation ? [`collation ${f.collation}`] : [])],
    });
  }
  if (t.default !== undefined && (dropDefault || f.default === undefined) && handover?.kind !== 'identity to serial')
    alter('default', [`${ac} set default ${t.default};`]);
  if (f.notNull !== t.notNull) {
    alter(
      t.notNull ? 'NOT NULL' : 'nullable',
      [`${ac} ${t.notNull ? 'set' : 'drop'} not null;`],
      t.notNull ? { hazard: 'scans the whole table under an ACCESS EXCLUSIVE lock, and fails if a row holds NULL' } : {},
    );
  }
  if (handover?.kind === 'serial to identity') serialToIdentity(ctx, key, table, name, handover, t);
  else if (handover?.kind === 'identity to serial') identityToSerial(ctx, key, table, name, handover, t, toModel);
  else identityChange(ctx, key, table, name, f, t);
  alter(
    'comment or privileges',
    [
      ...commentChange('column', `${key}.${quoteIdent(name)}`, f.comment, t.comment),
      ...grantChanges(f.grants ?? {}, t.grants ?? {}, [table.owner], `table ${key}`, name),
    ],
    { phase: Phase.tail },
  );
}

/**
 * A column of a type of an extension dropped and created again (its version goes down): through
 * text before the drop, back to its type after the create, its values kept.
 */
function throughText(ctx: DiffContext, key: string, table: Table, name: string, f: Column, t: Column, extension: string): void {
  const ac = `alter table ${key} alter column ${quoteIdent(name)}`;
  const dims = f.type.slice(f.type.replace(/(\[\])+$/, '').length);
  add(ctx, {
    action: 'drop',
    phase: Phase.column,
    object: `relation ${key}`,
    answers: `${table.kind} ${key}, column ${name}: as text while extension ${extension} is created again`,
    sql: [...(f.default !== undefined ? [`${ac} drop default;`] : []), `${ac} type text${dims} using ${quoteIdent(name)}::text${dims};`],
    frees: [`extension ${extension}`],
  });
  add(ctx, {
    action: 'create',
    phase: Phase.column,
    object: `relation ${key}`,
    answers: `${table.kind} ${key}, column ${name}: back to ${t.type}`,
    sql: [
      `${ac} type ${t.type} using ${quoteIdent(name)}::${t.type};`,
      ...(t.default !== undefined ? [`${ac} set default ${t.default};`] : []),
    ],
    needs: [`extension ${extension}`],
    hazard: 'rewrites the table twice (through text and back) under an ACCESS EXCLUSIVE lock',
  });
}

/**
 * A serial column made an identity (Django 4.1's change): the identity starts where the old
 * sequence stood. The old sequence is let go of and, when its name is the one the identity's
 * sequence takes, renamed out of the way first; it is dropped after (sequences.ts), if TO drops it.
 */
function serialToIdentity(ctx: DiffContext, key: string, table: Table, name: string, h: Handover, t: Column): void {
  const ti = t.identity!;
  const ac = `alter table ${key} alter column ${quoteIdent(name)}`;
  const sql: string[] = [];
  // Without the identity's sequence name, pg_get_serial_sequence finds it: only once the old one is let go of.
  if (!ti.sequence) sql.push(`alter sequence ${h.from} owned by none;`);
  if (h.parkedAs) sql.push(`alter sequence ${h.from} rename to ${bareName(h.parkedAs)};`);
  sql.push(`${ac} add ${identityClause(ti, table, name)};`);
  sql.push(
    takePosition(
      ti.sequence ?? '',
      h.parkedAs ?? h.from,
      ti.sequence ? undefined : `pg_get_serial_sequence(${quoteLiteral(key)}, ${quoteLiteral(name)})`,
    ),
  );
  add(ctx, {
    action: 'alter',
    phase: Phase.column,
    object: `relation ${key}`,
    answers: `${table.kind} ${key}, column ${name}: an identity instead of ${h.from}`,
    sql,
    note: `the identity continues from ${h.from}'s last value`,
    // Before the old sequence is dropped (sequences.ts), if it is.
    frees: [`relation ${h.from}`],
  });
}

function bareName(qualified: string): string {
  return qualified.slice(qualified.lastIndexOf('.') + 1);
}

/** An identity column given a sequence of its own: the new sequence starts where the identity's stood. */
function identityToSerial(ctx: DiffContext, key: string, table: Table, name: string, h: Handover, t: Column, toModel: SchemaModel): void {
  const ac = `alter table ${key} alter column ${quoteIdent(name)}`;
  const to = h.to!;
  const sql: string[] = [];
  if (h.parkedAs) sql.push(`alter sequence ${h.from} rename to ${bareName(h.parkedAs)};`);
  sql.push(...sequenceStatements(ctx.render, toModel.sequences[to]).filter((l) => l !== ''));
  sql.push(takePosition(to, h.parkedAs ?? h.from));
  sql.push(`${ac} drop identity;`);
  if (t.default !== undefined) sql.push(`${ac} set default ${t.default};`);
  add(ctx, {
    action: 'alter',
    phase: Phase.column,
    object: `relation ${key}`,
    answers: `${table.kind} ${key}, column ${name}: ${to} instead of an identity`,
    sql,
    note: `${to} continues from the identity's last value`,
  });
}

function identityChange(ctx: DiffContext, key: string, table: Table, name: string, f: Column, t: Column): void {
  const ac = `alter table ${key} alter column ${quoteIdent(name)}`;
  const fi = f.identity;
  const ti = t.identity;
  const sql: string[] = [];
  // Its sequence goes with it, and a sequence of the same name may be created next (serial): a drop, first.
  if (fi && !ti) {
    add(ctx, {
      action: 'drop',
      phase: Phase.column,
      object: `relation ${key}`,
      answers: `${table.kind} ${key}, column ${name}: no longer an identity`,
      sql: [`${ac} drop identity;`],
      dataLoss: fi.sequence ? `drops the identity's sequence ${fi.sequence} and its current value` : undefined,
    });
  } else if (!fi && ti) {
    sql.push(`${ac} add ${identityClause(ti, table, name)};`);
  } else if (fi && ti) {
    if (fi.sequence && ti.sequence && fi.sequence !== ti.sequence)
      sql.push(`alter sequence ${fi.sequence} rename to ${ti.sequence.slice(ti.sequence.lastIndexOf('.') + 1)};`);
    const o: string[] = [];
    if (fi.generation !== ti.generation) o.push(`set generated ${ti.generation}`);
    o.push(...identityOptions(ti, fi).map((x) => `set ${x}`));
    const seq = ti.sequence ?? fi.sequence;
    if (o.length) {
      if (seq) sql.push(...clampStatements(seq, { ...fi, type: undefined }, { ...ti, type: undefined }));
      sql.push(`${ac} ${o.join(' ')};`);
    }
  }
  add(ctx, {
    action: 'alter',
    phase: Phase.column,
    object: `relation ${key}`,
    answers: `${table.kind} ${key}, column ${name}: identity`,
    sql,
  });
}

/** `generated by default as identity (...)`, its sequence named when TO's name is not PostgreSQL's choice. */
function identityClause(ti: NonNullable<Column['identity']>, table: Table, name: string): string {
  return columnDefinition({ type: '', notNull: false, identity: ti }, table, name).trim();
}

/** `start with 1`, `increment by 1`...: the options of `to` that differ from `from`'s (all without `from`). */
function identityOptions(to: NonNullable<Column['identity']>, from: Column['identity']): string[] {
  const o: string[] = [];
  const differs = (k: keyof NonNullable<Column['identity']>) => to[k] !== undefined && (!from || from[k] !== to[k]);
  if (differs('start')) o.push(`start with ${to.start}`);
  if (differs('increment')) o.push(`increment by ${to.increment}`);
  if (differs('min')) o.push(`minvalue ${to.min}`);
  if (differs('max')) o.push(`maxvalue ${to.max}`);
  if (differs('cache')) o.push(`cache ${to.cache}`);
  if (differs('cycle')) o.push(to.cycle ? 'cycle' : 'no cycle');
  return o;
}

/** Type changes that keep every value: integers to wider ones, a longer or unlimited varchar, varchar to text. */
function safeWidening(from: string, to: string): boolean {
  const ints = ['smallint', 'integer', 'bigint', 'numeric'];
  if (ints.includes(from) && ints.includes(to)) return ints.indexOf(to) > ints.indexOf(from);
  const len = (t: string) => /^character varying(?:\((\d+)\))?$/.exec(t);
  const lf = len(from);
  if (lf && (to === 'text' || (len(to) && (!len(to)![1] || (lf[1] !== undefined && Number(len(to)![1]) >= Number(lf[1])))))) return true;
  return false;
}
