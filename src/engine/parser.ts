/**
 * The one module that uses `libpg-query` (PostgreSQL 18's own parser, as WASM). It classifies
 * statements for transaction handling. It helps; it never decides that SQL is invalid: a
 * statement it cannot read is `unknown` and goes to the server, which has the last word.
 */

import { setFlagsFromString } from 'node:v8';

export type StatementClass =
  /** BEGIN / START TRANSACTION */
  | 'begin'
  /** COMMIT / END (without AND CHAIN) */
  | 'commit'
  | 'rollback'
  /** SAVEPOINT, RELEASE, ROLLBACK TO: fine inside a transaction. */
  | 'savepoint'
  /** Other transaction control: COMMIT AND CHAIN, PREPARE TRANSACTION, COMMIT PREPARED ... */
  | 'other_transaction_control'
  /** Cannot run inside a transaction block (CREATE INDEX CONCURRENTLY, VACUUM, ...). */
  | 'no_transaction'
  | 'ordinary'
  /** The parser could not read it (newer syntax, psql-only text ...): the server decides. */
  | 'unknown';

type Node = Record<string, Record<string, unknown>>;

let parser: typeof import('libpg-query') | undefined;

/**
 * Node 24's V8 (13.6) sends libpg-query's wasm to its optimising compiler on the first parse:
 * ~1.8 s of CPU in the background that the process then waits for at exit, for a parse the
 * baseline code does as fast (measured: 1 parse 1.9 s -> 0.18 s, 4,000 parses 2.0 s -> 0.25 s,
 * 40,000 parses 2.2 s -> 0.8 s; Node 20 unchanged). So no wasm function is tiered up: the filter
 * names one index no module has. Only for the V8 majors known to take the flag: an unknown flag
 * is printed to stderr.
 */
function keepParserOnBaselineCode(): void {
  const major = Number(process.versions.v8.split('.')[0]);
  if (major >= 11 && major <= 13) setFlagsFromString('--wasm-tier-up-filter=2147483647');
}

export async function loadParser(): Promise<void> {
  if (parser) return;
  keepParserOnBaselineCode();
  const mod = await import('libpg-query');
  await mod.loadModule();
  parser = mod;
}

/** Classifies every statement in `sql` (usually one). Call `loadParser()` first. */
export function classify(sql: string): StatementClass[] {
  if (!parser) throw new Error('classify() called before loadParser()');
  let stmts: Array<{ stmt?: Node }>;
  try {
    stmts = (parser.parseSync(sql) as unknown as { stmts?: Array<{ stmt?: Node }> }).stmts ?? [];
  } catch {
    return ['unknown'];
  }
  return stmts.map((s) => (s.stmt ? classifyNode(s.stmt) : 'ordinary'));
}

function classifyNode(node: Node): StatementClass {
  const [type, body] = Object.entries(node)[0] ?? ['', {}];
  switch (type) {
    case 'TransactionStmt': {
      const kind = body.kind as string;
      if (body.chain) return 'other_transaction_control';
      if (kind === 'TRANS_STMT_BEGIN' || kind === 'TRANS_STMT_START') return 'begin';
      if (kind === 'TRANS_STMT_COMMIT') return 'commit';
      if (kind === 'TRANS_STMT_ROLLBACK') return 'rollback';
      if (kind === 'TRANS_STMT_SAVEPOINT' || kind === 'TRANS_STMT_RELEASE' || kind === 'TRANS_STMT_ROLLBACK_TO') return 'savepoint';
      return 'other_transaction_control';
    }
    case 'IndexStmt':
      return body.concurrent ? 'no_transaction' : 'ordinary';
    case 'DropStmt':
      return body.concurrent ? 'no_transaction' : 'ordinary';
    case 'ReindexStmt':
      return hasDefElem(body.params, 'concurrently') || body.kind === 'REINDEX_OBJECT_SYSTEM' || body.kind === 'REINDEX_OBJECT_DATABASE'
        ? 'no_transaction'
        : 'ordinary';
    case 'VacuumStmt':
      return body.is_vacuumcmd ? 'no_transaction' : 'ordinary';
    case 'AlterTableStmt': {
      const cmds = (body.cmds as Array<{ AlterTableCmd?: { subtype?: string; def?: { PartitionCmd?: { concurrent?: boolean } } } }>) ?? [];
      return cmds.some((c) => c.AlterTableCmd?.subtype === 'AT_DetachPartition' && c.AlterTableCmd.def?.PartitionCmd?.concurrent)
        ? 'no_transaction'
        : 'ordinary';
    }
    case 'ClusterStmt':
      return body.relation ? 'ordinary' : 'no_transaction';
    case 'CreatedbStmt':
    case 'DropdbStmt':
    case 'AlterSystemStmt':
    case 'CreateTableSpaceStmt':
    case 'DropTableSpaceStmt':
    case 'CreateSubscriptionStmt':
    case 'DropSubscriptionStmt':
      return 'no_transaction';
    default:
      return 'ordinary';
  }
}

function hasDefElem(list: unknown, name: string): boolean {
  return Array.isArray(list) && list.some((d) => (d as { DefElem?: { defname?: string } }).DefElem?.defname === name);
}

/** A table named in a statement; `schema` only when the statement qualifies it. */
export interface RelationName {
  schema?: string;
  name: string;
}

export interface StatementTables {
  /** CREATE TABLE (or CREATE TABLE AS): the table it creates. */
  creates?: RelationName;
  /** The tables the statement acts on (ALTER TABLE, CREATE INDEX, ...). Empty when unknown. */
  acts: RelationName[];
}

/**
 * Which tables one statement creates or acts on, for lint's "a table this patch created is
 * nobody else's yet". Call `loadParser()` first. A statement the parser cannot read acts on
 * nothing we know of.
 */
export function statementTables(sql: string): StatementTables {
  if (!parser) throw new Error('statementTables() called before loadParser()');
  let stmts: Array<{ stmt?: Node }>;
  try {
    stmts = (parser.parseSync(sql) as unknown as { stmts?: Array<{ stmt?: Node }> }).stmts ?? [];
  } catch {
    return { acts: [] };
  }
  const out: StatementTables = { acts: [] };
  for (const s of stmts) {
    const [type, body] = Object.entries(s.stmt ?? {})[0] ?? ['', {}];
    if (type === 'CreateStmt') out.creates = relationOf(body.relation);
    else if (type === 'CreateTableAsStmt') out.creates = relationOf((body.into as { rel?: unknown } | undefined)?.rel);
    else if (body.relation) out.acts.push(...[relationOf(body.relation)].filter((r): r is RelationName => Boolean(r)));
    else if (Array.isArray(body.relations)) out.acts.push(...body.relations.map(relationOf).filter((r): r is RelationName => Boolean(r)));
  }
  return out;
}

function relationOf(node: unknown): RelationName | undefined {
  const r = ((node as { RangeVar?: unknown })?.RangeVar ?? node) as { schemaname?: string; relname?: string } | undefined;
  if (!r?.relname) return undefined;
  return r.schemaname ? { schema: r.schemaname, name: r.relname } : { name: r.relname };
}

/**
 * Whether `sql` is only session settings (SET or RESET, not SET LOCAL): what a patch may say
 * before its BEGIN (`set lock_timeout = '5s'; BEGIN; ...`). Call `loadParser()` first.
 */
export function isSessionSetting(sql: string): boolean {
  if (!parser) throw new Error('isSessionSetting() called before loadParser()');
  try {
    const stmts = (parser.parseSync(sql) as unknown as { stmts?: Array<{ stmt?: Node }> }).stmts ?? [];
    return stmts.length > 0 && stmts.every((s) => s.stmt?.VariableSetStmt && !s.stmt.VariableSetStmt.is_local);
  } catch {
    return false;
  }
}

/** What one statement calls or does that try must look at before it runs it (see try/lasting.ts). */
export interface StatementCalls {
  /** Every function called anywhere in it (CALL and nested calls too), by its own name, lower case. */
  functions: string[];
  /** `COPY ... TO 'file'`, `COPY ... FROM/TO PROGRAM`: the server writes a file or runs a program. */
  copy?: { program: boolean; toFile: boolean };
  /** The bodies of DO blocks, which run now: text, for a look at the names they mention. */
  doBodies: string[];
}

/**
 * The functions a statement calls, its COPY to or from the server's files or programs, and the
 * bodies of its DO blocks. Call `loadParser()` first. Undefined when the parser cannot read it:
 * the statement then goes to the server like any other.
 */
export function statementCalls(sql: string): StatementCalls | undefined {
  if (!parser) throw new Error('statementCalls() called before loadParser()');
  let tree: unknown;
  try {
    tree = parser.parseSync(sql);
  } catch {
    return undefined;
  }
  const out: StatementCalls = { functions: [], doBodies: [] };
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      const v = value as Record<string, unknown>;
      if (key === 'FuncCall') {
        const names = (v.funcname as Array<{ String?: { sval?: string } }>) ?? [];
        const name = names[names.length - 1]?.String?.sval;
        if (name) out.functions.push(name.toLowerCase());
      } else if (key === 'CopyStmt' && (v.is_program || (!v.is_from && typeof v.filename === 'string'))) {
        out.copy = { program: Boolean(v.is_program), toFile: !v.is_from && !v.is_program };
      } else if (key === 'DoStmt') {
        for (const d of (v.args as Array<{ DefElem?: { defname?: string; arg?: { String?: { sval?: string } } } }>) ?? [])
          if (d.DefElem?.defname === 'as' && d.DefElem.arg?.String?.sval !== undefined) out.doBodies.push(d.DefElem.arg.String.sval);
      }
      visit(value);
    }
  };
  visit(tree);
  return out;
}

/** Where PostgreSQL's parser stopped in a statement it rejects, and why. */
export interface SyntaxProblem {
  /** `syntax error at or near "selec"` */
  message: string;
  /** Offset in the text (0-based), when the parser gives one. */
  position?: number;
}

/**
 * Whether PostgreSQL 18's parser rejects `sql`: its message and where, or undefined when it reads
 * it. Call `loadParser()` first. Only lint asks (for a statement squawk could not read either):
 * everything else sends a statement the parser cannot read to the server, which decides.
 */
export function syntaxProblem(sql: string): SyntaxProblem | undefined {
  if (!parser) throw new Error('syntaxProblem() called before loadParser()');
  try {
    parser.parseSync(sql);
    return undefined;
  } catch (e) {
    const details = (e as { sqlDetails?: { message?: string; cursorPosition?: number } }).sqlDetails;
    const message = details?.message ?? (e instanceof Error ? e.message : String(e));
    return { message, ...(typeof details?.cursorPosition === 'number' ? { position: details.cursorPosition } : {}) };
  }
}
