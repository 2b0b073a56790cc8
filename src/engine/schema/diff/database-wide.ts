/**
 * Publications, event triggers and default privileges. A publication or event trigger that
 * changed is dropped and created again (no data is lost; subscribers see the publication go).
 */
import type { DefaultPrivileges, SchemaModel } from '../inspect/model';

import { eventTriggerStatements, publicationStatements } from '../adopt/sql-database-wide';
import { add, Phase, type DiffContext } from './change';
import { builtInDefault } from '../inspect/compare';
import { commentChange, grantChanges, keysOf, ownerChange, same } from './pieces';
import { quoteIdent } from '../../../quote';

export function publicationChanges(ctx: DiffContext, from: SchemaModel, to: SchemaModel): void {
  const [fp, tp] = [from.publications ?? {}, to.publications ?? {}];
  for (const key of keysOf(fp, tp)) {
    const [f, t] = [fp[key], tp[key]];
    const base = { phase: Phase.publication, object: `publication ${key}` };
    const shape = (p: typeof f) => ({ ...p, owner: undefined, comment: undefined });
    const rebuild = f && t && !same(shape(f), shape(t));
    if (f && (!t || rebuild))
      add(ctx, {
        ...base,
        action: 'drop',
        answers: `publication ${key}: ${t ? 'changed: dropped and created again' : 'dropped'}`,
        sql: [`drop publication ${key};`],
      });
    if (t && (!f || rebuild))
      add(ctx, {
        ...base,
        action: 'create',
        answers: `publication ${key}: ${f ? 'changed: dropped and created again' : 'created'}`,
        sql: publicationStatements(ctx.render, key, t),
      });
    else if (f && t)
      add(ctx, {
        ...base,
        action: 'alter',
        answers: `publication ${key}: owner or comment`,
        sql: [...ownerChange('publication', key, f.owner, t.owner), ...commentChange('publication', key, f.comment, t.comment)],
      });
  }
}

export function eventTriggerChanges(ctx: DiffContext, from: SchemaModel, to: SchemaModel): void {
  const [fe, te] = [from.eventTriggers ?? {}, to.eventTriggers ?? {}];
  for (const key of keysOf(fe, te)) {
    const [f, t] = [fe[key], te[key]];
    const base = { phase: Phase.eventTrigger, object: `event trigger ${key}` };
    const shape = (e: typeof f) => ({ ...e, owner: undefined, comment: undefined, enabled: undefined });
    const rebuild = f && t && !same(shape(f), shape(t));
    if (f && (!t || rebuild))
      add(ctx, {
        ...base,
        action: 'drop',
        answers: `event trigger ${key}: ${t ? 'changed' : 'dropped'}`,
        sql: [`drop event trigger ${key};`],
      });
    if (t && (!f || rebuild))
      add(ctx, {
        ...base,
        action: 'create',
        answers: `event trigger ${key}: ${f ? 'changed' : 'created'}`,
        sql: eventTriggerStatements(ctx.render, key, t),
      });
    else if (f && t) {
      const how = { origin: 'enable', disabled: 'disable', replica: 'enable replica', always: 'enable always' }[t.enabled];
      add(ctx, {
        ...base,
        action: 'alter',
        answers: `event trigger ${key}: state, owner or comment`,
        sql: [
          ...(f.enabled !== t.enabled ? [`alter event trigger ${key} ${how};`] : []),
          ...ownerChange('event trigger', key, f.owner, t.owner),
          ...commentChange('event trigger', key, f.comment, t.comment),
        ],
      });
    }
  }
}

/**
 * Default privileges, grantee by grantee. A key one side does not list has the built-in
 * defaults there (without IN SCHEMA) or nothing added (with IN SCHEMA): see compare.ts.
 */
export function defaultPrivilegeChanges(ctx: DiffContext, from: SchemaModel, to: SchemaModel): void {
  for (const key of keysOf(from.defaultPrivileges, to.defaultPrivileges)) {
    const f = from.defaultPrivileges[key];
    const t = to.defaultPrivileges[key];
    const d = (f ?? t) as DefaultPrivileges;
    const fg = (f ?? builtInDefault(t, from.serverVersion)).grants;
    const tg = (t ?? builtInDefault(f, to.serverVersion)).grants;
    const head = `alter default privileges for role ${quoteIdent(d.role)}${d.schema ? ` in schema ${quoteIdent(d.schema)}` : ''}`;
    const sql = grantChanges(fg, tg, [], d.objectType).map((s) => `${head} ${s}`);
    add(ctx, {
      phase: Phase.defaultPrivileges,
      object: `default privileges ${key}`,
      action: 'alter',
      answers: `default privileges ${key}`,
      sql,
    });
  }
}
