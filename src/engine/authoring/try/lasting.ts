/**
 * What a rollback does not undo. try runs a patch in a transaction it rolls back, so it must
 * never send what would outlive that: work another connection commits on its own (dblink),
 * replication slots (a slot holds WAL until it is dropped), sessions it ends, files the server
 * writes, programs it runs. Those calls are found in the patch's statements by the parser (and,
 * in the body of a DO block, by name) and refused before anything is sent. Limits: a function the
 * patch calls that does one of these inside its body is not seen, nor a name built at run time;
 * SQL the parser cannot read is not refused for that (the server decides). Sequences are not
 * refused: nextval and setval are ordinary in patches; try compares them before and after and
 * says how far the patch moved them (see sequences below).
 */
import type { SourceLocation } from '../../../errors';
import { loadParser, statementCalls } from '../../parser';
import type { Session } from '../../db';
import type { Step } from '../../script/compile';

/** Function names (without schema) whose effects no rollback undoes, with what they do. */
const LASTING_FUNCTIONS: Array<[RegExp, string]> = [
  [/^dblink(_\w+)?$/, 'runs SQL over another connection, which commits on its own'],
  [
    /^pg_(create|copy)_(physical|logical)_replication_slot$/,
    'creates a replication slot, which keeps WAL on the server until it is dropped',
  ],
  [/^pg_drop_replication_slot$/, 'drops a replication slot'],
  [/^pg_replication_slot_advance$|^pg_logical_slot_get_(binary_)?changes$/, "moves a replication slot on: its consumer's changes are gone"],
  [/^pg_(terminate|cancel)_backend$/, 'ends or cancels other sessions'],
  [/^pg_(reload_conf|rotate_logfile|switch_wal|create_restore_point|promote)$/, 'acts on the server at once'],
  [/^pg_stat(_statements)?_reset\w*$/, "resets the server's statistics"],
  [/^lo_export$|^pg_file_(write|rename|unlink|sync)$/, 'writes a file on the server'],
];

/** The names above, to find in text (a DO block's body) and to skip the parser for statements without any. */
const MENTIONS =
  /\b(dblink\w*|pg_\w*replication_slot\w*|pg_logical_slot_get_\w+|pg_(terminate|cancel)_backend|pg_reload_conf|pg_rotate_logfile|pg_switch_wal|pg_create_restore_point|pg_promote|pg_stat\w*_reset\w*|lo_export|pg_file_\w+)\s*\(/gi;
const MAY_LAST = new RegExp(`${MENTIONS.source}|\\bcopy\\b`, 'i');

export interface LastingCall {
  /** `dblink_exec()`, `COPY ... TO a file` */
  what: string;
  /** What it does that a rollback leaves. */
  why: string;
  location: SourceLocation;
}

function lastingFunction(name: string): string | undefined {
  return LASTING_FUNCTIONS.find(([re]) => re.test(name))?.[1];
}

/** The first statement of the steps that no rollback would undo, if any; loads the parser only when a statement may be one. */
export async function findLastingCall(steps: Step[]): Promise<LastingCall | undefined> {
  const candidates = steps.filter((s): s is Extract<Step, { kind: 'sql' }> => s.kind === 'sql' && MAY_LAST.test(s.text));
  if (!candidates.length) return undefined;
  await loadParser();
  for (const step of candidates) {
    const calls = statementCalls(step.text);
    if (!calls) continue;
    const location = step.file.locate(step.start);
    for (const f of calls.functions) {
      const why = lastingFunction(f);
      if (why) return { what: `${f}()`, why, location };
    }
    if (calls.copy)
      return calls.copy.program
        ? { what: 'COPY ... PROGRAM', why: 'runs a program on the server', location }
        : { what: 'COPY ... TO a file', why: 'writes a file on the server', location };
    for (const body of calls.doBodies) {
      for (const m of body.matchAll(MENTIONS)) {
        const why = lastingFunction(m[1].toLowerCase());
        if (why) return { what: `${m[1].toLowerCase()}() in a DO block`, why, location };
      }
    }
  }
  return undefined;
}

/** A sequence's last value (`null`: never used, or not readable by this role), by oid. */
export type SequenceValues = Map<number, { name: string; last: string | null }>;

/** Every sequence's last value, as pg_sequences shows it; read in autocommit, so it holds no lock after. */
export async function sequenceValues(session: Session): Promise<SequenceValues> {
  const r = await session.query<{ oid: string; name: string; last: string | null }>(
    `select c.oid::int8::text as oid, format('%I.%I', s.schemaname, s.sequencename) as name, s.last_value::text as last
       from pg_sequences s
       join pg_namespace n on n.nspname = s.schemaname
       join pg_class c on c.relnamespace = n.oid and c.relname = s.sequencename`,
  );
  return new Map(r.rows.map((x) => [Number(x.oid), { name: x.name, last: x.last }]));
}

export interface LastingEffect {
  kind: 'sequence';
  /** `public.book_id_seq` */
  object: string;
  before: string | null;
  after: string | null;
}

/**
 * Sequences that existed before the patch and were moved by it: their value changed, and this
 * session drew from them (currval answers; it survives the rollback) or set them back (a value
 * lower than before, or never used again: only setval does that). Other sessions drawing from a
 * sequence meanwhile move it too: `after` is the sequence's value, not only the patch's share.
 * Read after the rollback, on the same session: what remains is what no rollback undid.
 */
export async function movedSequences(session: Session, before: SequenceValues): Promise<LastingEffect[]> {
  const after = await sequenceValues(session);
  const out: LastingEffect[] = [];
  for (const [oid, was] of before) {
    const now = after.get(oid);
    if (!now || now.last === was.last) continue;
    const setBack = now.last === null || (was.last !== null && BigInt(now.last) < BigInt(was.last));
    const drawn = await session.query('select currval($1::oid::regclass)', [oid]).then(
      () => true,
      () => false,
    );
    if (drawn || setBack) out.push({ kind: 'sequence', object: was.name, before: was.last, after: now.last });
  }
  return out;
}
