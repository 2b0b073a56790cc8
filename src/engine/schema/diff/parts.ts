/**
 * The named parts of a table: constraints, indexes, triggers, rules, policies, statistics. A part
 * that changed is dropped and created again (an index rebuilt), except where ALTER says it
 * (VALIDATE CONSTRAINT, ENABLE TRIGGER, a comment).
 */
import type { Constraint, Table } from '../inspect/model';

import {
  constraintStatements,
  enabled,
  indexStatements,
  policyStatements,
  ruleStatements,
  triggerStatements,
} from '../adopt/sql-relations';
import { comment } from '../adopt/sql-pieces';
import { add, callsRebuilt, Phase, type DiffContext } from './change';
import { usesRebuiltExtension } from './extensions';
import { commentChange, freesOf, keysOf, needsOf, referencedKey, same } from './pieces';
import { quoteIdent } from '../../../quote';

interface PartKind<T> {
  what: string;
  phase: (p: T) => Phase;
  parts: (t: Table) => Record<string, T>;
  drop: (key: string, name: string, schema: string) => string;
  create: (ctx: DiffContext, key: string, name: string, p: T, schema: string) => string[];
  /** What ALTER can change in place; undefined when it must be dropped and created. */
  alter?: (key: string, name: string, f: T, t: T, schema: string) => string[] | undefined;
}

const CONSTRAINT: PartKind<Constraint> = {
  what: 'constraint',
  phase: (c) => (c.type === 'foreign key' ? Phase.foreignKey : Phase.constraint),
  parts: (t) => t.constraints,
  drop: (key, n) => `alter table ${key} drop constraint ${quoteIdent(n)};`,
  create: (_ctx, key, n, c) => constraintStatements(key, n, c),
  alter: (key, n, f, t) => {
    const bare = (c: Constraint) => ({ ...c, definition: c.definition.replace(/ NOT VALID$/, ''), valid: true, comment: undefined });
    if (!same(bare(f), bare(t)) || (f.valid && !t.valid)) return undefined;
    return [
      ...(!f.valid && t.valid ? [`alter table ${key} validate constraint ${quoteIdent(n)};`] : []),
      ...commentChange(`constraint ${quoteIdent(n)} on`, key, f.comment, t.comment),
    ];
  },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each kind has its own part type
const KINDS: Array<PartKind<any>> = [
  CONSTRAINT,
  {
    what: 'index',
    phase: () => Phase.index,
    parts: (t) => t.indexes,
    drop: (_key, n, schema) => `drop index ${quoteIdent(schema)}.${quoteIdent(n)};`,
    create: (ctx, key, n, i, schema) => indexStatements(ctx.render, key, schema, n, i),
    alter: (_key, n, f, t, schema) =>
      same({ ...f, comment: undefined, replicaIdentity: undefined }, { ...t, comment: undefined, replicaIdentity: undefined })
        ? commentChange('index', `${quoteIdent(schema)}.${quoteIdent(n)}`, f.comment, t.comment)
        : undefined,
  },
  {
    what: 'trigger',
    phase: () => Phase.trigger,
    parts: (t) => t.triggers,
    drop: (key, n) => `drop trigger ${quoteIdent(n)} on ${key};`,
    create: (_ctx, key, n, tr) => triggerStatements(key, n, tr),
    alter: (key, n, f, t) =>
      f.definition === t.definition
        ? [
            ...(f.enabled !== t.enabled
              ? t.enabled === 'origin'
                ? [`alter table ${key} enable trigger ${quoteIdent(n)};`]
                : enabled('trigger', n, key, t.enabled)
              : []),
            ...commentChange(`trigger ${quoteIdent(n)} on`, key, f.comment, t.comment),
          ]
        : undefined,
  },
  {
    what: 'rule',
    phase: () => Phase.rule,
    parts: (t) => t.rules,
    drop: (key, n) => `drop rule ${quoteIdent(n)} on ${key};`,
    create: (_ctx, key, n, r) => ruleStatements(key, n, r),
  },
  {
    what: 'policy',
    phase: () => Phase.policy,
    parts: (t) => t.policies,
    drop: (key, n) => `drop policy ${quoteIdent(n)} on ${key};`,
    create: (_ctx, key, n, p) => policyStatements(key, n, p),
    alter: (key, n, f, t) =>
      same({ ...f, comment: undefined }, { ...t, comment: undefined })
        ? commentChange(`policy ${quoteIdent(n)} on`, key, f.comment, t.comment)
        : undefined,
  },
  {
    what: 'statistics',
    phase: () => Phase.index,
    parts: (t) => t.statistics,
    drop: (_key, n) => `drop statistics ${n};`,
    create: (_ctx, _key, n, s) => [`${s.definition};`, ...comment('statistics', n, s.comment)],
  },
];

/**
 * A child's copy of its parent's NOT VALID check, validated on the child: VALIDATE it when TO has
 * it and FROM has not (or the parent's is added again). The way back has no ALTER: the parent's
 * constraint is dropped and added again NOT VALID (`ctx.unvalidated`, see plan.ts).
 */
function validatedCopy(ctx: DiffContext, key: string, n: string, f: Table, t: Table, answers: (what: string) => string): void {
  const parents = [t.partitionOf, ...(t.inherits ?? [])].filter((p): p is string => Boolean(p));
  const again = parents.some((p) => ctx.unvalidated.has(`${p} ${n}`) || ctx.rebuilt.has(`relation ${p}`));
  if (!t.constraints[n]?.inherited || (f.constraints[n]?.inherited && !again)) return;
  add(ctx, {
    action: 'alter',
    phase: Phase.constraint,
    object: `relation ${key}`,
    answers: answers(`validated (a copy of its parent's)`),
    sql: [`alter table ${key} validate constraint ${quoteIdent(n)};`],
    hazard: 'checks every row of the table under a SHARE UPDATE EXCLUSIVE lock',
  });
}

/**
 * `retyped`: the table has columns whose type changes; PostgreSQL refuses that while a policy
 * reads them, so its policies are dropped before and created again after. A part that calls a
 * function dropped and created again is, too.
 */
export function partChanges(ctx: DiffContext, key: string, f: Table, t: Table, retyped = false, skip: Set<string> = new Set()): void {
  for (const kind of KINDS) {
    const fp = kind.parts(f);
    const tp = kind.parts(t);
    for (const n of keysOf(fp, tp)) {
      if ((kind.what === 'index' || kind.what === 'constraint') && skip.has(n)) continue;
      const answers = (what: string) => `${t.kind} ${key}, ${kind.what} ${n}: ${what}`;
      if (kind.what === 'constraint' && (fp[n]?.inherited || tp[n]?.inherited)) {
        validatedCopy(ctx, key, n, f, t, answers);
        continue;
      }
      const base = { object: `relation ${key}`, phase: kind.phase(tp[n] ?? fp[n]) };
      const text = fp[n] ? JSON.stringify(fp[n]) : undefined;
      // A foreign key on a table dropped and created again, or whose keys are, goes first and comes back after.
      const fk = kind.what === 'constraint' && fp[n]?.type === 'foreign key' ? referencedKey(fp[n].definition) : undefined;
      const rebuild =
        (retyped && kind.what === 'policy') ||
        (kind.what !== 'trigger' && callsRebuilt(ctx, text)) ||
        (fk !== undefined && (ctx.rebuilt.has(`relation ${fk.table}`) || ctx.keysDropped.has(`${fk.table}${fk.columns}`))) ||
        (kind.what === 'constraint' && ctx.unvalidated.has(`${key} ${n}`)) ||
        (kind.what !== 'trigger' &&
          text !== undefined &&
          fk === undefined &&
          ctx.extensions.extensions.size > 0 &&
          usesRebuiltExtension(ctx.extensions, text, [...(ctx.extensions.columns.get(key)?.keys() ?? [])].map(quoteIdent)));
      if (fp[n] && tp[n] && same(fp[n], tp[n]) && !rebuild) continue;
      const inPlace = fp[n] && tp[n] && !rebuild ? kind.alter?.(key, n, fp[n], tp[n], t.schema) : undefined;
      if (inPlace) {
        add(ctx, { ...base, action: 'alter', answers: answers('changed'), sql: inPlace });
        continue;
      }
      const isFk = (p: unknown) => kind.what === 'constraint' && (p as Constraint).type === 'foreign key';
      if (fp[n])
        add(ctx, {
          ...base,
          action: 'drop',
          answers: answers(tp[n] ? 'changed: dropped and created again' : 'dropped'),
          sql: [kind.drop(key, n, f.schema)],
          frees: isFk(fp[n]) ? freesOf(fp[n].definition) : undefined,
        });
      if (tp[n]) {
        add(ctx, {
          ...base,
          action: 'create',
          answers: answers(fp[n] ? 'changed: dropped and created again' : 'added'),
          sql: kind.create(ctx, key, n, tp[n], t.schema),
          needs: isFk(tp[n]) ? needsOf(tp[n].definition) : undefined,
          hazard:
            kind.what === 'index'
              ? 'builds the index under a SHARE lock that blocks writes to the table: on a big table, consider CREATE INDEX CONCURRENTLY in a patch of its own'
              : kind.what === 'constraint' &&
                  !/ NOT VALID$/.test(tp[n].definition) &&
                  tp[n].type !== 'primary key' &&
                  tp[n].type !== 'unique'
                ? 'checks every row under a lock that blocks writes: on a big table, add it NOT VALID and VALIDATE it in a later patch'
                : undefined,
        });
      }
    }
  }
}
