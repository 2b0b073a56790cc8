/**
 * The changes of a table's columns. Column order is left alone: a patch can only append.
 * A type change that can fail or cut values is flagged as losing data; so is a dropped column.
 */
import type { Column, Table } from '../inspect/model';

import { column as columnDefinition } from '../adopt/sql-relations';
import { add, callsRebuilt, Phase, type DiffContext } from './change';
import { commentChange, grantChanges, same } from './pieces';
import { quoteIdent } from '../../../quote';

/** A parent (partitioned or inherited) of the table, as it is in each model. */
export interface ParentPair {
  f?: Table;
  t?: Table;
}

/**
 * `parents`: what the table inherits its columns from. A change made to a parent's column
 * reaches the children by itself (PostgreSQL recurses, and refuses it on the child alone): it
 * is left out of the child's changes.
 */
export function columnChanges(ctx: DiffContext, key: string, f: Table, t: Table, parents: ParentPair[] = []): void {
  const object = `relation ${key}`;
  const at = `alter table ${key}`;
  const viaParent = (c: string, pf: (p: ParentPair) => boolean) => parents.some((p) => p.f && p.t && pf(p));
  const gone = f.columnOrder.filter((c) => !t.columns[c] && !viaParent(c, (p) => Boolean(p.f!.columns[c]) && !p.t!.columns[c]));
  const added = t.columnOrder.filter((c) => !f.columns[c] && !viaParent(c, (p) => !p.f!.columns[c] && Boolean(p.t!.columns[c])));
  for (const c of gone) {
    const twin = added.find((a) => t.columns[a].type === f.columns[c].type);
    add(ctx, {
      action: 'drop',
      phase: Phase.column,
      object,
      answers: `${t.kind} ${key}, column ${c}: dropped`,
      sql: [`${at} drop column ${quoteIdent(c)};`],
      dataLoss: `drops column ${c} of ${key} and its values`,
      note: twin
        ? `column ${c} disappears while ${twin} (${t.columns[twin].type}) appears: if it was renamed, write "${at} rename column ${quoteIdent(c)} to ${quoteIdent(twin)};" instead of the drop and the add`
        : undefined,
    });
  }
  for (const c of added) {
    const col = t.columns[c];
    const def = `${at} add column ${quoteIdent(c)} ${columnDefinition(col)};`;
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
    let from = f.columns[c];
    // What the parent changes the same way needs no statement of the child's: as if done already.
    for (const p of parents) {
      const [pf, pt] = [p.f?.columns[c], p.t?.columns[c]];
      if (!pf || !pt) continue;
      const done = { ...from };
      for (const prop of ['type', 'collation', 'notNull', 'default', 'identity'] as const) {
        if (same(pf[prop], from[prop]) && same(pt[prop], t.columns[c][prop])) (done as Record<string, unknown>)[prop] = t.columns[c][prop];
      }
      from = done;
    }
    alterColumn(ctx, key, t, c, from, t.columns[c]);
  }
}

function alterColumn(ctx: DiffContext, key: string, table: Table, name: string, f: Column, t: Column): void {
  const object = `relation ${key}`;
  const ac = `alter table ${key} alter column ${quoteIdent(name)}`;
  const answers = (what: string) => `${table.kind} ${key}, column ${name}: ${what}`;
  const alter = (what: string, sql: string[], more: { dataLoss?: string; hazard?: string; phase?: Phase } = {}) =>
    add(ctx, {
      action: 'alter',
      phase: more.phase ?? Phase.column,
      object,
      answers: answers(what),
      sql,
      dataLoss: more.dataLoss,
      hazard: more.hazard,
    });
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
      });
      add(ctx, {
        action: 'create',
        phase: Phase.column,
        object,
        answers: answers('generated differently'),
        sql: [`alter table ${key} add column ${quoteIdent(name)} ${columnDefinition(t)};`],
      });
      return;
    }
  }
  const retype = f.type !== t.type || f.collation !== t.collation;
  // The old default may not cast to the new type: it goes first and comes back after.
  const dropDefault = f.default !== undefined && (f.default !== t.default || retype || callsRebuilt(ctx, f.default));
  if (dropDefault) add(ctx, { action: 'drop', phase: Phase.column, object, answers: answers('default'), sql: [`${ac} drop default;`] });
  if (retype) {
    const widening = safeWidening(f.type, t.type) && f.collation === t.collation;
    alter(
      `type ${f.type} -> ${t.type}`,
      [`${ac} type ${t.type}${t.collation ? ` collate ${t.collation}` : ''} using ${quoteIdent(name)}::${t.type};`],
      {
        dataLoss: widening ? undefined : `changes the type of ${key}.${name} from ${f.type} to ${t.type}: the cast can fail or cut values`,
        hazard:
          widening && /^character varying|^varchar|^text$/.test(t.type) ? undefined : 'rewrites the table under an ACCESS EXCLUSIVE lock',
      },
    );
  }
  if (t.default !== undefined && (dropDefault || f.default === undefined)) alter('default', [`${ac} set default ${t.default};`]);
  if (f.notNull !== t.notNull) {
    alter(
      t.notNull ? 'NOT NULL' : 'nullable',
      [`${ac} ${t.notNull ? 'set' : 'drop'} not null;`],
      t.notNull ? { hazard: 'scans the whole table under an ACCESS EXCLUSIVE lock, and fails if a row holds NULL' } : {},
    );
  }
  identityChange(ctx, key, table, name, f, t);
  alter(
    'comment or privileges',
    [
      ...commentChange('column', `${key}.${quoteIdent(name)}`, f.comment, t.comment),
      ...grantChanges(f.grants ?? {}, t.grants ?? {}, [table.owner], `table ${key}`, name),
    ],
    { phase: Phase.tail },
  );
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
    });
  } else if (!fi && ti) {
    const o = identityOptions(ti, undefined);
    sql.push(`${ac} add generated ${ti.generation} as identity${o.length ? ` (${o.join(' ')})` : ''};`);
  } else if (fi && ti) {
    const o: string[] = [];
    if (fi.generation !== ti.generation) o.push(`set generated ${ti.generation}`);
    o.push(...identityOptions(ti, fi).map((x) => `set ${x}`));
    if (o.length) sql.push(`${ac} ${o.join(' ')};`);
  }
  add(ctx, {
    action: 'alter',
    phase: Phase.column,
    object: `relation ${key}`,
    answers: `${table.kind} ${key}, column ${name}: identity`,
    sql,
  });
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
