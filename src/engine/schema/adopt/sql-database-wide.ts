/**
 * The statements of the objects that belong to the database rather than to a schema and that
 * need what the other files create: publications (their tables) and event triggers (their
 * function). file-layout.ts puts them after everything else.
 */
import type { EventTrigger, Publication } from '../inspect/model';
import type { RenderContext } from './types';
import { alterOwner, comment } from './sql-pieces';
import { quoteIdent, quoteLiteral } from '../../../quote';

/** What CREATE PUBLICATION publishes when WITH (publish = ...) is not given. */
const ALL_OPERATIONS = 'insert, update, delete, truncate';

/**
 * Each table is written ONLY, as pg_dump does: an inheritance child is a member of its own (the
 * catalog lists it), and without ONLY its parent would add it again, or add children it lacks.
 */
export function publicationStatements(ctx: RenderContext, key: string, p: Publication): string[] {
  const members = [
    ...Object.entries(p.tables).map(
      ([t, m]) =>
        `only ${t}${m.columns ? ` (${m.columns.map(quoteIdent).join(', ')})` : ''}${m.rowFilter !== undefined ? ` where (${m.rowFilter})` : ''}`,
    ),
    ...p.schemas.map((s) => `tables in schema ${s}`),
  ];
  const target = p.allTables ? ' for all tables' : members.length ? ` for table ${members.join(', ')}` : '';
  const options: string[] = [];
  if (p.publish.join(', ') !== ALL_OPERATIONS) options.push(`publish = ${quoteLiteral(p.publish.join(', '))}`);
  if (p.viaRoot) options.push('publish_via_partition_root = true');
  return [
    `create publication ${key}${target}${options.length ? ` with (${options.join(', ')})` : ''};`,
    ...alterOwner(ctx, 'publication', key, p.owner),
    ...comment('publication', key, p.comment),
    '',
  ];
}

const ENABLE = { origin: [], disabled: ['disable'], replica: ['enable replica'], always: ['enable always'] } as const;

export function eventTriggerStatements(ctx: RenderContext, key: string, e: EventTrigger): string[] {
  const when = e.tags ? ` when tag in (${e.tags.map(quoteLiteral).join(', ')})` : '';
  return [
    `create event trigger ${key} on ${quoteIdent(e.event)}${when} execute function ${e.function};`,
    ...ENABLE[e.enabled].map((s) => `alter event trigger ${key} ${s};`),
    ...alterOwner(ctx, 'event trigger', key, e.owner),
    ...comment('event trigger', key, e.comment),
    '',
  ];
}
