/**
 * A `Change`: one or a few statements that answer one difference between two schema models,
 * with what `order.ts` needs to place them and what a person needs before running them.
 */
import type { RenderContext } from '../adopt/render';
import type { ExtensionRebuild } from './extensions';
import type { SequencePlan } from './sequences';

/**
 * When a change runs, as a tie-break after dependencies (see order.ts): drops run in the
 * reverse of this order, creates and alters in it.
 */
export enum Phase {
  schema,
  extension,
  collation,
  type,
  sequence,
  function,
  table,
  column,
  constraint,
  index,
  ownedBy,
  foreignKey,
  view,
  trigger,
  policy,
  rule,
  publication,
  tail,
  defaultPrivileges,
  eventTrigger,
}

export interface Change {
  /** drop runs before every create and alter, dependents first. */
  action: 'drop' | 'create' | 'alter';
  phase: Phase;
  /** The object it touches, as `Dependency` names it: `relation myapp.book`, `type x`, `function f(int)`, or `schema x`... */
  object: string;
  /** The statements, each ending with `;`. */
  sql: string[];
  /** The difference it answers, for people: `table myapp.book, column subtitle: added`. */
  answers: string;
  /** Why running it loses data, when it does. */
  dataLoss?: string;
  /** A lock or a long rewrite to think about before running it on a live database. */
  hazard?: string;
  /** Other advice printed before it (a rename that may be meant). */
  note?: string;
  /** Objects (as `object` names them, in TO) it needs besides its own object's dependencies: the table a foreign key references. */
  needs?: string[];
  /** Objects (in FROM) whose drop must wait for it: the type a column is retyped away from, the table a dropped foreign key referenced. */
  frees?: string[];
}

/** What the writers of one diff share. */
export interface DiffContext {
  /** For the adopt writers (owner, notCarried); `model` is the target model. */
  render: RenderContext;
  out: Change[];
  /**
   * Functions dropped and created again (`schema.name(`, as deparsed texts call them): a
   * constraint, index or default that calls one is dropped before and created again after.
   */
  rebuiltFunctions: string[];
  /** Relations dropped and created again under the same name (`relation myapp.book`): a table whose kind or partition key changes. */
  rebuilt: Set<string>;
  /** Sequences moved to another schema, and columns whose numbering moves to another sequence. */
  sequences: SequencePlan;
  /** Tables whose primary key or unique constraints or indexes are dropped: the foreign keys on them go first. */
  keysDropped: Set<string>;
  /** `table name` of NOT VALID checks dropped and added again so that a child's validated copy is not validated any more. */
  unvalidated: Set<string>;
  /** Extensions whose version goes down: dropped and created again, with what uses them around it. */
  extensions: ExtensionRebuild;
}

/** Whether a deparsed text (a CHECK, an index, a default) calls one of the functions rebuilt. */
export function callsRebuilt(ctx: DiffContext, text: string | undefined): boolean {
  return text !== undefined && ctx.rebuiltFunctions.some((f) => text.includes(f));
}

/** Adds a change with statements, or without when it is a note a person must act on (something ALTER cannot do). */
export function add(ctx: DiffContext, change: Omit<Change, 'sql'> & { sql: string[] }): void {
  const sql = change.sql.filter((l) => l.trim() !== '');
  if (sql.length || (change.note && change.action === 'alter' && !change.hazard && !change.dataLoss)) ctx.out.push({ ...change, sql });
}
