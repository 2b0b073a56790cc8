/**
 * The changes of schemas, extensions, collations, sequences, functions and views. Creates reuse
 * adopt's writers. A view or materialised view that changed is dropped and created again (its
 * dependents too: see plan.ts); a function whose signature changed is dropped and created, one
 * whose body or attributes changed is replaced (CREATE OR REPLACE).
 */
import type { Collation, Extension, Routine, Schema, View } from '../inspect/model';

import { collationStatements } from '../adopt/database-file';
import { viewStatements } from '../adopt/sql-relations';
import { routineStatements } from '../adopt/sql-types-routines';
import { comment, grantsOn } from '../adopt/sql-pieces';
import { add, Phase, type DiffContext } from './change';
import { commentChange, grantsOf, keysOf, ownerChange, same } from './pieces';
import { quoteIdent, quoteLiteral } from '../../../quote';

export function schemaChanges(ctx: DiffContext, from: Record<string, Schema>, to: Record<string, Schema>): void {
  for (const key of keysOf(from, to)) {
    const [f, t] = [from[key], to[key]];
    const base = { phase: Phase.schema, object: `schema ${key}` };
    if (!t)
      add(ctx, {
        ...base,
        action: 'drop',
        answers: `schema ${key}: dropped`,
        sql: [`drop schema ${key};`],
        // Not CASCADE: what the statements above do not drop (what pgpatch does not model) makes it fail instead.
        dataLoss: `drops schema ${key} and whatever is left in it: the statements above drop what pgpatch models (each marked); anything else in it makes this fail`,
      });
    else if (!f) {
      add(ctx, {
        ...base,
        action: 'create',
        answers: `schema ${key}: created`,
        sql: [`create schema ${key};`, ...ownerChange('schema', key, ctx.render.mainOwner ?? t.owner, t.owner)],
      });
      add(ctx, {
        ...base,
        phase: Phase.tail,
        action: 'alter',
        answers: `schema ${key}: privileges, comment`,
        sql: [...grantsOn('schema', key, t.grants, t.owner), ...comment('schema', key, t.comment)],
      });
    } else {
      add(ctx, {
        ...base,
        action: 'alter',
        answers: `schema ${key}: owner, privileges or comment`,
        sql: [
          ...ownerChange('schema', key, f.owner, t.owner),
          ...grantsOf('schema', key, f.grants, t.grants, [f.owner, t.owner]),
          ...commentChange('schema', key, f.comment, t.comment),
        ],
      });
    }
  }
}

export function extensionChanges(ctx: DiffContext, from: Record<string, Extension>, to: Record<string, Extension>): void {
  for (const key of keysOf(from, to)) {
    const [f, t] = [from[key], to[key]];
    const base = { phase: Phase.extension, object: `extension ${key}` };
    const create = (x: Extension) =>
      `create extension if not exists ${quoteIdent(x.name)} with schema ${quoteIdent(x.schema)} version ${quoteLiteral(x.version)};`;
    const down = ctx.extensions.extensions.has(key);
    if (!t || (f && f.schema !== t.schema) || down) {
      add(ctx, {
        ...base,
        action: 'drop',
        answers: down ? `extension ${key}: version ${f.version} -> ${t.version}, dropped and created again` : `extension ${key}: dropped`,
        sql: [`drop extension ${quoteIdent(f.name)};`],
        dataLoss: down
          ? `drops extension ${f.name} ${f.version} to create it at ${t.version}: what it keeps of its own (tables, configuration) is lost; the columns of its types go through text and back`
          : 'drops what the extension created, and the columns of its types',
        note: down
          ? `the version of ${f.name} goes down (${f.version} -> ${t.version}): extensions have no update path downwards, so it is dropped and created again, and what uses it around that`
          : undefined,
      });
    }
    if (t && (!f || f.schema !== t.schema || down))
      add(ctx, {
        ...base,
        action: 'create',
        answers: `extension ${key}: ${down ? `created at version ${t.version}` : 'created'}`,
        sql: [create(t)],
      });
    else if (t && f.version !== t.version) {
      add(ctx, {
        ...base,
        action: 'alter',
        answers: `extension ${key}: version ${f.version} -> ${t.version}`,
        sql: [`alter extension ${quoteIdent(t.name)} update to ${quoteLiteral(t.version)};`],
      });
    }
  }
}

export function collationChanges(ctx: DiffContext, from: Record<string, Collation>, to: Record<string, Collation>): void {
  for (const key of keysOf(from, to)) {
    const [f, t] = [from[key], to[key]];
    const base = { phase: Phase.collation, object: `collation ${key}` };
    const props = (c: Collation) => ({ ...c, owner: undefined, comment: undefined });
    if (f && (!t || !same(props(f), props(t))))
      add(ctx, { ...base, action: 'drop', answers: `collation ${key}: ${t ? 'changed' : 'dropped'}`, sql: [`drop collation ${key};`] });
    if (t && (!f || !same(props(f), props(t))))
      add(ctx, {
        ...base,
        action: 'create',
        answers: `collation ${key}: ${f ? 'changed' : 'created'}`,
        sql: collationStatements(ctx.render, key, t),
      });
    else if (f && t)
      add(ctx, {
        ...base,
        action: 'alter',
        answers: `collation ${key}: owner or comment`,
        sql: [...ownerChange('collation', key, f.owner, t.owner), ...commentChange('collation', key, f.comment, t.comment)],
      });
  }
}

const ROUTINE_KIND = { function: 'function', 'window function': 'function', procedure: 'procedure', aggregate: 'aggregate' } as const;

export function routineChanges(ctx: DiffContext, from: Record<string, Routine>, to: Record<string, Routine>, recreate: Set<string>): void {
  for (const key of keysOf(from, to)) {
    const [f, t] = [from[key], to[key]];
    const base = { phase: Phase.function, object: `function ${key}` };
    const kind = ROUTINE_KIND[(t ?? f).kind];
    const drop = () =>
      add(ctx, {
        ...base,
        action: 'drop',
        answers: `${f.kind} ${key}: ${t ? 'changed: dropped and created again' : 'dropped'}`,
        sql: [`drop ${ROUTINE_KIND[f.kind]} ${key};`],
      });
    const create = () =>
      add(ctx, {
        ...base,
        action: 'create',
        answers: `${t.kind} ${key}: ${f ? 'changed: dropped and created again' : 'created'}`,
        sql: routineStatements(ctx.render, key, t),
      });
    if (!t) drop();
    else if (!f) create();
    else if (
      recreate.has(`function ${key}`) ||
      f.kind !== t.kind ||
      f.returns !== t.returns ||
      f.arguments !== t.arguments ||
      (f.kind === 'aggregate' && !same(f.aggregate, t.aggregate))
    ) {
      drop();
      create();
    } else {
      const body = (r: Routine) => ({
        ...r,
        owner: undefined,
        grants: undefined,
        comment: undefined,
        body: r.body.replace(/\r\n?/g, '\n').trim(),
      });
      if (!same(body(f), body(t))) {
        const statements = routineStatements({ ...ctx.render, mainOwner: t.owner }, key, t);
        statements[0] = statements[0].replace(/^create /, 'create or replace ');
        // routineStatements revokes PUBLIC's default and grants again: the privileges are compared below instead.
        add(ctx, { ...base, action: 'alter', answers: `${t.kind} ${key}: replaced`, sql: [statements[0]] });
      }
      add(ctx, {
        ...base,
        phase: Phase.tail,
        action: 'alter',
        answers: `${t.kind} ${key}: owner, privileges or comment`,
        sql: [
          ...ownerChange(kind, key, f.owner, t.owner),
          ...grantsOf(kind === 'aggregate' ? 'function' : kind, key, f.grants, t.grants, [f.owner, t.owner]),
          ...commentChange(kind, key, f.comment, t.comment),
        ],
      });
    }
  }
}

/** Views are dropped and created again when they or what they read changed (`recreate`). */
export function viewChanges(ctx: DiffContext, from: Record<string, View>, to: Record<string, View>, recreate: Set<string>): void {
  for (const key of keysOf(from, to)) {
    const [f, t] = [from[key], to[key]];
    const base = { phase: Phase.view, object: `relation ${key}` };
    const rebuild = f && t && (recreate.has(`relation ${key}`) || !viewSame(f, t));
    if (f && (!t || rebuild)) {
      add(ctx, {
        ...base,
        action: 'drop',
        answers: `${f.kind} ${key}: ${t ? 'changed: dropped and created again' : 'dropped'}`,
        sql: [`drop ${f.kind} ${key};`],
        dataLoss:
          f.kind === 'materialized view'
            ? `drops materialized view ${key} and the rows it holds${t ? ' (its query fills it again when it is created below)' : ''}`
            : undefined,
        hazard:
          f.kind === 'materialized view' && t
            ? 'the materialized view is filled again when created: as long as its query takes'
            : undefined,
      });
    }
    if (t && (!f || rebuild))
      add(ctx, {
        ...base,
        action: 'create',
        answers: `${t.kind} ${key}: ${f ? 'changed: dropped and created again' : 'created'}`,
        sql: viewStatements(ctx.render, key, t),
      });
    else if (f && t) viewPartsChanges(ctx, key, f, t);
  }
}

/** Same query, options and columns: only its parts, owner, privileges or comments may differ. */
function viewSame(f: View, t: View): boolean {
  const shape = (v: View) => ({
    kind: v.kind,
    definition: v.definition,
    options: v.options,
    columns: Object.fromEntries(Object.entries(v.columns).map(([n, c]) => [n, { ...c, comment: undefined, grants: undefined }])),
    indexes: v.indexes,
    triggers: v.triggers,
    rules: v.rules,
  });
  return same(shape(f), shape(t));
}

function viewPartsChanges(ctx: DiffContext, key: string, f: View, t: View): void {
  const kind = t.kind;
  const sql = [
    ...ownerChange(kind === 'view' ? 'view' : 'materialized view', key, f.owner, t.owner),
    ...grantsOf('table', key, f.grants, t.grants, [f.owner, t.owner]),
    ...commentChange(kind, key, f.comment, t.comment),
  ];
  for (const c of t.columnOrder) {
    if (f.columns[c]) sql.push(...commentChange('column', `${key}.${quoteIdent(c)}`, f.columns[c].comment, t.columns[c].comment));
  }
  add(ctx, {
    phase: Phase.tail,
    object: `relation ${key}`,
    action: 'alter',
    answers: `${kind} ${key}: owner, privileges or comments`,
    sql,
  });
}
