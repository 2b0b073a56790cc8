/**
 * The changes of sequences, and of where a column's numbers come from. A sequence is never lost
 * silently, and a column keeps its numbering when the sequence behind it changes:
 *   - a sequence moved to another schema is moved (`SET SCHEMA`), not dropped and created;
 *   - a serial column turned into an identity (or back), or switched to a new sequence, takes
 *     the old sequence's position (`setval` from its `last_value`) before the old one goes;
 *   - a sequence TO keeps is let go of (`OWNED BY NONE`) before the table or column that owns it
 *     is dropped (which would drop it too), and owned again after;
 *   - a sequence dropped along with the table or column that owns it has no statement of its
 *     own: that drop's DATA LOSS line names it;
 *   - new bounds that the sequence's current value is outside of (a MINVALUE above it) move the
 *     value inside first, or ALTER SEQUENCE fails.
 */
import type { Column, Identity, Sequence, SchemaModel } from '../inspect/model';

import { sequenceStatements } from '../adopt/sql-relations';
import { add, Phase, type DiffContext } from './change';
import { commentChange, grantsOf, keysOf, ownerChange } from './pieces';
import { quoteIdent, quoteLiteral } from '../../../quote';

/** How a column's numbering moves from one sequence to another; keyed by `table.column` (as `ownedBy` writes it). */
export interface Handover {
  kind: 'serial to identity' | 'identity to serial' | 'new sequence';
  /** The sequence it numbers from in FROM. */
  from: string;
  /** In TO (an identity's, when known). */
  to?: string;
  /** The name `from` is renamed to while both exist, when the new sequence takes its name. */
  parkedAs?: string;
}

export interface SequencePlan {
  /** Sequences moved to another schema under the same name: FROM key -> TO key. */
  moved: Map<string, string>;
  handovers: Map<string, Handover>;
}

/** The sequences of `model` owned by a column of `table` (or of that column only). */
export function ownedSequencesOf(model: SchemaModel, table: string, column?: string): string[] {
  const owner = (o: string) => o.slice(0, o.lastIndexOf('.'));
  return Object.entries(model.sequences)
    .filter(([, s]) => s.ownedBy && (column ? s.ownedBy === `${table}.${quoteIdent(column)}` : owner(s.ownedBy) === table))
    .map(([k]) => k);
}

/** The sequence a column takes its numbers from: its identity's, or the one its default calls nextval on. */
export function sourceOf(c: Column | undefined): { identity: boolean; sequence?: string } | undefined {
  if (!c) return undefined;
  if (c.identity) return { identity: true, sequence: c.identity.sequence };
  const m = c.default === undefined ? null : /^nextval\('((?:[^']|'')+)'::regclass\)$/.exec(c.default);
  return m ? { identity: false, sequence: m[1].replace(/''/g, "'") } : undefined;
}

export function planSequences(from: SchemaModel, to: SchemaModel, rebuilt: Set<string>): SequencePlan {
  const moved = new Map<string, string>();
  const gone = Object.keys(from.sequences).filter((k) => !to.sequences[k]);
  const fresh = Object.keys(to.sequences).filter((k) => !from.sequences[k]);
  for (const g of gone) {
    const twins = fresh.filter((k) => to.sequences[k].name === from.sequences[g].name);
    if (twins.length === 1 && gone.filter((o) => from.sequences[o].name === to.sequences[twins[0]].name).length === 1)
      moved.set(g, twins[0]);
  }
  const handovers = new Map<string, Handover>();
  for (const [tk, t] of Object.entries(to.tables)) {
    const f = from.tables[tk];
    if (!f || rebuilt.has(`relation ${tk}`)) continue;
    for (const [name, c] of Object.entries(t.columns)) {
      const [fs, ts] = [sourceOf(f.columns[name]), sourceOf(c)];
      if (!fs?.sequence || !ts || (fs.identity && ts.identity)) continue;
      const key = `${tk}.${quoteIdent(name)}`;
      const parked = (q: string) => {
        const at = q.lastIndexOf('.');
        const bare = q
          .slice(at + 1)
          .replace(/^"(.*)"$/, '$1')
          .replace(/""/g, '"');
        return `${q.slice(0, at + 1)}${quoteIdent(`${bare}__pgpatch_old`)}`;
      };
      if (!fs.identity && ts.identity)
        handovers.set(key, {
          kind: 'serial to identity',
          from: fs.sequence,
          to: ts.sequence,
          parkedAs: ts.sequence === fs.sequence || (!ts.sequence && !to.sequences[fs.sequence]) ? parked(fs.sequence) : undefined,
        });
      else if (fs.identity && !ts.identity && ts.sequence && !from.sequences[ts.sequence])
        handovers.set(key, {
          kind: 'identity to serial',
          from: fs.sequence,
          to: ts.sequence,
          parkedAs: ts.sequence === fs.sequence ? parked(fs.sequence) : undefined,
        });
      else if (
        !fs.identity &&
        ts.sequence &&
        ts.sequence !== fs.sequence &&
        moved.get(fs.sequence) !== ts.sequence &&
        !from.sequences[ts.sequence]
      )
        handovers.set(key, { kind: 'new sequence', from: fs.sequence, to: ts.sequence });
    }
  }
  return { moved, handovers };
}

/** A default as it reads once the moved sequences are in their new schema. */
export function afterMoves(plan: SequencePlan, text: string | undefined): string | undefined {
  if (text === undefined) return text;
  let out = text;
  for (const [f, t] of plan.moved) out = out.split(`'${f.replace(/'/g, "''")}'::regclass`).join(`'${t.replace(/'/g, "''")}'::regclass`);
  return out;
}

export function sequenceChanges(ctx: DiffContext, fromModel: SchemaModel, toModel: SchemaModel): void {
  const [from, to] = [fromModel.sequences, toModel.sequences];
  const plan = ctx.sequences;
  const movedTo = new Map([...plan.moved].map(([f, t]) => [t, f]));
  const handed = new Map([...plan.handovers.values()].filter((h) => h.kind !== 'identity to serial').map((h) => [h.from, h]));
  const createdByHandover = new Set([...plan.handovers.values()].filter((h) => h.kind === 'identity to serial').map((h) => h.to!));
  for (const key of keysOf(from, to)) {
    const [f, t] = [from[key], to[key]];
    const base = { phase: Phase.sequence, object: `relation ${key}` };
    if (!t) {
      if (plan.moved.has(key) || goesWithItsOwner(ctx, f, fromModel, toModel)) continue;
      // After what it numbered has taken its position (`setval` in the handover), if anything.
      add(ctx, {
        ...base,
        action: 'drop',
        answers: `sequence ${key}: dropped`,
        sql: [`drop sequence if exists ${handed.get(key)?.parkedAs ?? key};`],
        dataLoss: handed.has(key)
          ? `drops sequence ${key}, once the column it numbered has taken its position`
          : `drops sequence ${key} and its current value`,
      });
      continue;
    }
    const was = f ?? (movedTo.has(key) ? from[movedTo.get(key)!] : undefined);
    const disowned = was ? letGo(ctx, movedTo.get(key) ?? key, was, t, fromModel, toModel) : false;
    if (!was) {
      if (!createdByHandover.has(key))
        add(ctx, { ...base, action: 'create', answers: `sequence ${key}: created`, sql: sequenceStatements(ctx.render, t) });
    } else {
      const at = movedTo.has(key) ? movedTo.get(key)! : key;
      const move = movedTo.has(key) ? [`alter sequence ${at} set schema ${quoteIdent(t.schema)};`] : [];
      const options = optionChanges(was, t);
      add(ctx, {
        ...base,
        action: 'alter',
        answers: movedTo.has(key) ? `sequence ${at}: moved to schema ${quoteIdent(t.schema)}` : `sequence ${key}: options`,
        sql: [...move, ...(options.length ? [...clampStatements(key, was, t), `alter sequence ${key} ${options.join(' ')};`] : [])],
        frees: movedTo.has(key) ? [`schema ${quoteIdent(was.schema)}`] : undefined,
      });
      add(ctx, {
        ...base,
        phase: Phase.tail,
        action: 'alter',
        answers: `sequence ${key}: owner, privileges or comment`,
        sql: [
          ...ownerChange('sequence', key, was.owner, t.owner),
          ...grantsOf('sequence', key, was.grants, t.grants, [was.owner, t.owner]),
          ...commentChange('sequence', key, was.comment, t.comment),
        ],
      });
    }
    if (t.ownedBy !== was?.ownedBy || (disowned && t.ownedBy)) {
      // Runs with the table it names: after it is created.
      const owner = t.ownedBy ? `relation ${t.ownedBy.slice(0, t.ownedBy.lastIndexOf('.'))}` : base.object;
      add(ctx, {
        ...base,
        object: owner,
        phase: Phase.ownedBy,
        action: 'alter',
        answers: `sequence ${key}: owned by ${t.ownedBy ?? 'none'}`,
        sql: [`alter sequence ${key} owned by ${t.ownedBy ?? 'none'};`],
      });
    }
  }
  for (const [column, h] of plan.handovers) if (h.kind === 'new sequence') carry(ctx, column, h);
}

/**
 * A kept sequence whose owning column goes away (its table or column dropped or rebuilt), moves,
 * or changes: `OWNED BY NONE` first, or the drop would take the sequence with it. True when done.
 */
function letGo(ctx: DiffContext, key: string, f: Sequence, t: Sequence, from: SchemaModel, to: SchemaModel): boolean {
  if (!f.ownedBy) return false;
  const table = f.ownedBy.slice(0, f.ownedBy.lastIndexOf('.'));
  const ownerGoes = !to.tables[table] || ctx.rebuilt.has(`relation ${table}`) || !columnIn(to, f.ownedBy);
  if (!ownerGoes && f.ownedBy === t.ownedBy && f.schema === t.schema) return false;
  void from;
  add(ctx, {
    action: 'drop',
    phase: Phase.ownedBy,
    object: `relation ${key}`,
    answers: `sequence ${key}: no longer owned by ${f.ownedBy}`,
    sql: [`alter sequence ${key} owned by none;`],
    // Before the table or column that owns it is dropped.
    frees: [`relation ${table}`],
  });
  return true;
}

function columnIn(model: SchemaModel, ownedBy: string): boolean {
  const at = ownedBy.lastIndexOf('.');
  const column = ownedBy.slice(at + 1);
  const t = model.tables[ownedBy.slice(0, at)];
  return Boolean(t && Object.keys(t.columns).some((c) => quoteIdent(c) === column));
}

/** A sequence TO drops that goes with the table or column owning it (which says so). */
function goesWithItsOwner(ctx: DiffContext, f: Sequence, from: SchemaModel, to: SchemaModel): boolean {
  if (!f.ownedBy) return false;
  const table = f.ownedBy.slice(0, f.ownedBy.lastIndexOf('.'));
  if (!from.tables[table]) return false;
  return !to.tables[table] || ctx.rebuilt.has(`relation ${table}`) || !columnIn(to, f.ownedBy);
}

function optionChanges(f: Sequence | Identity, t: Sequence | Identity): string[] {
  const o: string[] = [];
  if (t.type !== undefined && f.type !== t.type) o.push(`as ${t.type}`);
  if (t.increment !== undefined && f.increment !== t.increment) o.push(`increment by ${t.increment}`);
  if (t.min !== undefined && f.min !== t.min) o.push(`minvalue ${t.min}`);
  if (t.max !== undefined && f.max !== t.max) o.push(`maxvalue ${t.max}`);
  if (t.start !== undefined && f.start !== t.start) o.push(`start with ${t.start}`);
  if (t.cache !== undefined && f.cache !== t.cache) o.push(`cache ${t.cache}`);
  if (t.cycle !== undefined && f.cycle !== t.cycle) o.push(t.cycle ? 'cycle' : 'no cycle');
  return o;
}

/**
 * ALTER SEQUENCE refuses bounds its current value is outside of ("RESTART value (1) cannot be
 * less than MINVALUE (100)"): a MINVALUE raised or a MAXVALUE lowered first moves the value
 * inside them (to the new bound, not yet used), and leaves it alone when it already is.
 * `sequence`: its name, or an expression giving it (an identity's).
 */
export function clampStatements(sequence: string, f: Sequence | Identity, t: Sequence | Identity, expression?: string): string[] {
  const big = (v: string | undefined) => (v === undefined ? undefined : BigInt(v));
  const [fmin, tmin, fmax, tmax] = [big(f.min), big(t.min), big(f.max), big(t.max)];
  const name = expression ?? quoteLiteral(sequence);
  const out: string[] = [];
  if (tmin !== undefined && fmin !== undefined && tmin > fmin)
    out.push(`select setval(${name}, ${tmin}, false) from ${sequence} where last_value < ${tmin};`);
  if (tmax !== undefined && fmax !== undefined && tmax < fmax)
    out.push(`select setval(${name}, ${tmax}, false) from ${sequence} where last_value > ${tmax};`);
  return out;
}

/** A column switched to a sequence new in TO takes the old one's position. */
function carry(ctx: DiffContext, column: string, h: Handover): void {
  add(ctx, {
    action: 'alter',
    phase: Phase.ownedBy,
    object: `relation ${h.to}`,
    answers: `sequence ${h.to}: takes the position of ${h.from}, which ${column} numbered from`,
    sql: [takePosition(h.to!, h.from)],
    frees: [`relation ${h.from}`],
  });
}

/** `setval` of `to` from `from`'s last value: the next number is the one `from` would have given. */
export function takePosition(to: string, from: string, toExpression?: string): string {
  return `select setval(${toExpression ?? quoteLiteral(to)}, last_value, is_called) from ${from};`;
}
