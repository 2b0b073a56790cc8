/**
 * The indexes and keys of partitions attached to their parent's (`attachedTo` in the model).
 * Nobody creates them: PostgreSQL makes a partition's copy when the partition is created or
 * attached, or when its parent gains the index or key, and attaches the partition's own
 * matching index instead when it has one. What is left to do is name them as TO does (a
 * rename once the copy exists), and to deal with what the partition keeps when it is detached
 * (its copies become its own, and so do its parent's foreign keys and CHECK constraints) or
 * loses when its parent's part is dropped (its copy goes with it).
 */
import type { Constraint, Index, SchemaModel, Table } from '../inspect/model';

import { attachedParts, chosenName, matchingOwnPart, relationNames, renameAttached, type AttachedPart } from '../adopt/sql-attached';
import { constraintStatements, indexStatements } from '../adopt/sql-relations';
import { add, Phase, type DiffContext } from './change';
import { commentChange, same } from './pieces';
import { quoteIdent, quoteQualified } from '../../../quote';

export interface AttachedPlan {
  /** Names of the table's indexes and constraints that `partChanges` leaves to this module. */
  skip: Set<string>;
  /** Statements to run right after the table is detached: what the detach left that TO does not have. */
  afterDetach: string[];
}

type Part = { index: Index } | { constraint: Constraint };

function partOf(t: Table | undefined, name: string): Part | undefined {
  if (!t) return undefined;
  if (t.indexes[name]) return { index: t.indexes[name] };
  if (t.constraints[name]) return { constraint: t.constraints[name] };
  return undefined;
}

/** A part without what an ALTER changes in place: two parts of the same shape are the same index. */
function shape(p: Part | undefined): string | undefined {
  if (!p) return undefined;
  const x = 'index' in p ? p.index : p.constraint;
  const { comment: _c, attachedTo: _a, valid: _v, ...rest } = x as Index & Constraint;
  return JSON.stringify({ ...rest, replicaIdentity: undefined });
}

/** What happens in this diff to the part `name` of table `key`: kept, dropped, created, or both. */
function fate(
  ctx: DiffContext,
  key: string,
  name: string,
  from: SchemaModel,
  to: SchemaModel,
): 'kept' | 'dropped' | 'created' | 'rebuilt' | 'none' {
  const [f, t] = [from.tables[key], to.tables[key]];
  if (!f) return partOf(t, name) ? 'created' : 'none';
  if (!t) return 'dropped';
  const [fp, tp] = [partOf(f, name), partOf(t, name)];
  if (ctx.rebuilt.has(`relation ${key}`)) return fp ? (tp ? 'rebuilt' : 'dropped') : tp ? 'created' : 'none';
  if (!fp) return tp ? 'created' : 'none';
  if (!tp) return 'dropped';
  return shape(fp) === shape(tp) ? 'kept' : 'rebuilt';
}

/**
 * The changes for the attached parts of table `key` (in FROM as `f`, undefined when it is
 * created or rebuilt, and in TO as `t`), and what `partChanges` and the detach must know.
 */
export function attachedPartChanges(
  ctx: DiffContext,
  key: string,
  f: Table | undefined,
  t: Table,
  from: SchemaModel,
  to: SchemaModel,
): AttachedPlan {
  const plan: AttachedPlan = { skip: new Set(), afterDetach: [] };
  const object = `relation ${key}`;
  const [fParent, tParent] = [f?.partitionOf, t.partitionOf];
  const moved = (p: string | undefined) =>
    !f || fParent !== tParent || f.partitionBound !== t.partitionBound || (p !== undefined && ctx.rebuilt.has(`relation ${p}`));
  const detached = Boolean(f && fParent && moved(fParent));
  const attachedNow = Boolean(tParent && moved(tParent));
  const taken = relationNames(t.schema, from, to);

  if (tParent) {
    const parent = to.tables[tParent];
    for (const x of attachedParts(t)) {
      plan.skip.add(x.name);
      const fx = partOf(f, x.name);
      const fxAttached = fx && ('index' in fx ? fx.index.attachedTo : fx.constraint.attachedTo);
      const implicit =
        attachedNow ||
        ['created', 'rebuilt'].includes(fate(ctx, tParent, x.attachedTo, from, to)) ||
        fxAttached !== x.attachedTo ||
        shape(fx) !== shape(partOf(t, x.name));
      const comment = commentOf(partOf(t, x.name));
      if (!implicit) {
        const before = commentOf(fx);
        add(ctx, {
          action: 'alter',
          phase: Phase.tail,
          object,
          answers: `${t.kind} ${key}, ${x.label === 'idx' ? 'index' : 'constraint'} ${x.name}: comment`,
          sql: commentOn(key, t, x, before, comment),
        });
        continue;
      }
      // The partition's own matching index is attached instead of a copy being made.
      const own = f && !fxAttached ? matchingOwnPart(f, x) : undefined;
      const adopted = own !== undefined && !ownIn(t, own) ? own : undefined;
      if (adopted !== undefined) plan.skip.add(adopted);
      else if (fx && !fxAttached)
        add(ctx, {
          action: 'drop',
          phase: Phase.index,
          object,
          answers: `${t.kind} ${key}, ${x.label === 'idx' ? 'index' : 'constraint'} ${x.name}: replaced by the copy of ${tParent}'s`,
          sql: [dropPart(key, t, x.name, fx)],
        });
      const name = adopted ?? chosenName(t, x, taken);
      add(ctx, {
        action: 'alter',
        phase: Phase.index,
        object,
        needs: [`relation ${tParent}`],
        answers: `${t.kind} ${key}, ${x.label === 'idx' ? 'index' : 'constraint'} ${x.name}: the copy of ${tParent}'s ${x.attachedTo}, named`,
        sql: [...(name === x.name ? [] : [renameAttached(key, t, parent, x, name)]), ...commentOn(key, t, x, undefined, comment)],
      });
    }
  }

  if (f && fParent) {
    for (const fx of attachedParts(f)) {
      if (plan.skip.has(fx.name)) continue;
      plan.skip.add(fx.name);
      const stays = detached && !['dropped', 'rebuilt'].includes(fate(ctx, fParent, fx.attachedTo, from, to));
      const tx = partOf(t, fx.name);
      const fp = partOf(f, fx.name)!;
      if (stays && tx && shape(tx) === shape(fp)) continue;
      if (stays) plan.afterDetach.push(dropPart(key, t, fx.name, fp));
      if (tx) createPart(ctx, key, t, fx.name, tx, `kept as its own after ${fParent}'s ${fx.attachedTo}`);
    }
  }

  // A detached partition keeps its parent's foreign keys and CHECK constraints as its own.
  if (detached) {
    for (const [n, c] of Object.entries(from.tables[fParent!]?.constraints ?? {})) {
      if (c.attachedTo || (c.type !== 'foreign key' && c.type !== 'check')) continue;
      if (fate(ctx, fParent!, n, from, to) !== 'kept' && !ctx.rebuilt.has(`relation ${fParent}`)) continue;
      const tc = t.constraints[n];
      if (tc && same({ ...tc, comment: undefined }, { ...c, comment: undefined })) plan.skip.add(n);
      else plan.afterDetach.push(`alter table ${key} drop constraint ${quoteIdent(n)};`);
    }
  }
  return plan;
}

function ownIn(t: Table, name: string): boolean {
  const p = partOf(t, name);
  return Boolean(p && !('index' in p ? p.index.attachedTo : p.constraint.attachedTo));
}

function commentOf(p: Part | undefined): string | undefined {
  return p && ('index' in p ? p.index.comment : p.constraint.comment);
}

function commentOn(key: string, t: Table, x: AttachedPart, from: string | undefined, to: string | undefined): string[] {
  return x.label === 'idx'
    ? commentChange('index', quoteQualified(t.schema, x.name), from, to)
    : commentChange(`constraint ${quoteIdent(x.name)} on`, key, from, to);
}

function dropPart(key: string, t: Table, name: string, p: Part): string {
  return 'index' in p ? `drop index ${quoteQualified(t.schema, name)};` : `alter table ${key} drop constraint ${quoteIdent(name)};`;
}

function createPart(ctx: DiffContext, key: string, t: Table, name: string, p: Part, why: string): void {
  add(ctx, {
    action: 'create',
    phase: 'index' in p ? Phase.index : Phase.constraint,
    object: `relation ${key}`,
    answers: `${t.kind} ${key}, ${'index' in p ? 'index' : 'constraint'} ${name}: ${why}`,
    sql: 'index' in p ? indexStatements(ctx.render, key, t.schema, name, p.index) : constraintStatements(key, name, p.constraint),
  });
}
