/**
 * `migrate` over a fleet (and its plan): each target is a migrate of its own (migrate.ts: its
 * run lock, its record, a fresh session state before each patch), run `jobs` at a time; one
 * that fails, or cannot be reached, never stops another's patches (unless asked: --fail-fast,
 * --canary). Returns one result per target, in the fleet's order; never prints.
 *
 * A fleet first reads every target's record, read-only (a tenant's on a few sessions shared by
 * the schemas of the database): a target with nothing to do gets the result migrate would give
 * it, without settings and a run lock (a no-op over a thousand tenants is then a thousand reads,
 * not a thousand runs). What decides is migrate's own selection (selectPatches), so the answer
 * and its errors are the same.
 */
import { performance } from 'node:perf_hooks';
import { BaselineNeededError, ConnectionError, PatchFailedError, PgpatchError, EXIT } from '../../errors';
import type { Session } from '../db';
import { migrate } from '../migrate/migrate';
import { selectPatches } from '../migrate/select';
import type { MigrateEvent, MigrateOptions, MigrateResult } from '../migrate/types';
import { scanPatches, type PatchScan } from '../patches/files';
import { checkNamed } from '../migrate/select';
import { lookupPatch } from '../patches/lookup';
import { BUILD_ROW, readRecord, recordColumns, RECORD_TABLE } from '../patches/recorder';
import { forEachTarget, Turns } from './pool';
import { sessionPerTarget, sharedSessions } from './sessions';
import { isDoneRow } from './showmigrations';
import { listFleet } from './targets';
import type { FleetListedEvent, FleetRunOptions, FleetSpec, FleetStop, FleetTarget, TargetDoneEvent, TargetEvent } from './types';

export interface FleetMigrateOptions
  extends
    FleetRunOptions,
    Pick<
      MigrateOptions,
      | 'patchesDir'
      | 'entry'
      | 'upTo'
      | 'dryRun'
      | 'allowCopy'
      | 'strict'
      | 'check'
      | 'lockTimeoutMs'
      | 'statementLockTimeoutMs'
      | 'variables'
      | 'checksumCache'
      | 'applicationName'
    > {
  fleet: FleetSpec;
  /** The record's schema on database targets (a tenant's record is in its schema). */
  recordSchema?: string;
  onEvent?: (e: FleetMigrateEvent) => void;
}

export type FleetMigrateEvent = FleetListedEvent | TargetDoneEvent | TargetEvent<MigrateEvent>;

/**
 * applied: patches applied (or the target built, or baselined); up_to_date: nothing to do;
 * pending: a plan's target with something to do; failed; needs_baseline: objects of its own and
 * no record; unreachable: no connection; not_started: stopped by a canary or --fail-fast.
 */
export type FleetRunStatus = 'applied' | 'up_to_date' | 'pending' | 'failed' | 'needs_baseline' | 'unreachable' | 'not_started';

export const FLEET_RUN_STATUSES: FleetRunStatus[] = [
  'applied',
  'up_to_date',
  'pending',
  'failed',
  'needs_baseline',
  'unreachable',
  'not_started',
];

export interface FleetTargetRun {
  name: string;
  /** The connection, password masked (with the schema for a tenant). */
  target: string;
  status: FleetRunStatus;
  /** What this target alone would have exited with (0 when it did its work). */
  exitCode: number;
  /** What migrate did (for a failed target: what it did before the failure, when it says). */
  result?: MigrateResult;
  error?: unknown;
  durationMs?: number;
}

export interface FleetMigrateResult {
  dryRun: boolean;
  targets: FleetTargetRun[];
  counts: Record<FleetRunStatus, number>;
  stopped?: FleetStop;
  /** The worst (highest) of the targets' exit statuses. */
  exitCode: number;
}

/** Whether a target's outcome counts as a failure (for --fail-fast and the canaries). */
export function isFailure(r: FleetTargetRun): boolean {
  return r.exitCode !== 0;
}

export async function migrateFleet(options: FleetMigrateOptions): Promise<FleetMigrateResult> {
  const emit = options.onEvent ?? (() => undefined);
  const patches = scanPatches(options.patchesDir);
  // A name that means no patch is refused before anything connects, as migrate does.
  if (options.upTo !== undefined) checkNamed(patches, options.patchesDir, options.upTo);
  for (const name of options.allowCopy ?? []) checkNamed(patches, options.patchesDir, name, '--allow-copy');
  const last = lastToRun(patches, options);
  const targets = await listFleet(options.fleet);
  emit({ type: 'fleet-listed', total: targets.length });
  const dryRun = Boolean(options.dryRun);
  const known = last === undefined ? new Map<string, Known>() : await nothingToDo(targets, patches, last, options);
  // The pooler check's second connection and the lock watch take turns in one more connection.
  const turns = new Turns(1);
  let done = 0;
  let failed = 0;
  const { results, stopped } = await forEachTarget(
    targets,
    options,
    async (t): Promise<FleetTargetRun> => {
      const base = { name: t.name, target: t.target.display };
      const already = known.get(t.name);
      if (already instanceof ConnectionError) return { ...base, ...failure(already), error: already, durationMs: 0 };
      if (already) return { ...base, status: 'up_to_date', exitCode: 0, result: already, durationMs: 0 };
      const started = performance.now();
      try {
        const result = await migrate({
          ...migrateOptions(t, options),
          extraConnections: turns,
          onEvent: (event) => emit({ type: 'target-event', name: t.name, event }),
        });
        return { ...base, status: statusOf(result), exitCode: 0, result, durationMs: Math.round(performance.now() - started) };
      } catch (e) {
        return { ...base, ...failure(e), error: e, durationMs: Math.round(performance.now() - started) };
      }
    },
    {
      failed: isFailure,
      notStarted: (t): FleetTargetRun => ({ name: t.name, target: t.target.display, status: 'not_started', exitCode: 0 }),
      done: (r) => {
        if (isFailure(r)) failed++;
        emit({ type: 'target-done', name: r.name, status: r.status, done: ++done, total: targets.length, failed, error: r.error });
      },
    },
  );
  const counts = Object.fromEntries(FLEET_RUN_STATUSES.map((s) => [s, 0])) as Record<FleetRunStatus, number>;
  for (const r of results) counts[r.status]++;
  return { dryRun, targets: results, counts, stopped, exitCode: results.reduce((worst, r) => Math.max(worst, r.exitCode), 0) };
}

/**
 * The index of the last patch a run goes up to; undefined when the patch named is a file that
 * is a patch only where a record has it (files.ts, withRecorded): each tenant's migrate decides.
 */
function lastToRun(scan: PatchScan, options: FleetMigrateOptions): number | undefined {
  if (options.upTo === undefined) return scan.patches.length - 1;
  try {
    return scan.patches.indexOf(lookupPatch(scan.patches, options.patchesDir, options.upTo));
  } catch {
    return undefined;
  }
}

/** The options of one target's migrate: a tenant's record and search_path are its schema, and :SCHEMA names it. */
function migrateOptions(t: FleetTarget, options: FleetMigrateOptions): MigrateOptions {
  return {
    target: t.target,
    patchesDir: options.patchesDir,
    entry: options.entry,
    recordSchema: options.recordSchema,
    tenantSchema: t.tenantSchema,
    upTo: options.upTo,
    dryRun: options.dryRun,
    allowCopy: options.allowCopy,
    strict: options.strict,
    check: options.check,
    lockTimeoutMs: options.lockTimeoutMs,
    statementLockTimeoutMs: options.statementLockTimeoutMs,
    variables: t.tenantSchema === undefined ? options.variables : { ...options.variables, SCHEMA: t.tenantSchema },
    checksumCache: options.checksumCache,
    applicationName: options.applicationName,
  };
}

function statusOf(result: MigrateResult): FleetRunStatus {
  const did = result.dryRun
    ? result.outcomes.some((o) => o.status.startsWith('would_'))
    : result.outcomes.some((o) => o.status === 'applied');
  if (result.firstRun || did) return result.dryRun ? 'pending' : 'applied';
  return 'up_to_date';
}

function failure(e: unknown): Pick<FleetTargetRun, 'status' | 'exitCode' | 'result'> {
  if (e instanceof ConnectionError) return { status: 'unreachable', exitCode: e.exitCode };
  if (e instanceof BaselineNeededError) return { status: 'needs_baseline', exitCode: e.exitCode };
  const result = e instanceof PatchFailedError ? (e.result as MigrateResult | undefined) : undefined;
  return { status: 'failed', exitCode: e instanceof PgpatchError ? e.exitCode : EXIT.internal, result };
}

/** What the look before the runs settled for a target: nothing to do (what migrate would return), or no connection. */
type Known = MigrateResult | ConnectionError;

/**
 * The targets with nothing to do, and what migrate would return for each, from one read of
 * each record in a READ ONLY transaction (no settings, no run lock): a tenant's on a few
 * sessions shared by the schemas of the database, a database's on one session of its own.
 * Anything this look cannot settle (no record, a patch to run, an error) is left to the
 * target's own migrate, which says it properly; a target that cannot be reached is not asked twice.
 */
async function nothingToDo(
  targets: FleetTarget[],
  patches: PatchScan,
  last: number,
  options: FleetMigrateOptions,
): Promise<Map<string, Known>> {
  const found = new Map<string, Known>();
  const tenants = options.fleet.kind === 'schemas';
  const sessions = tenants ? sharedSessions() : sessionPerTarget();
  try {
    const shared = tenants
      ? await sessions.use(targets[0], (s) =>
          recordColumnsOf(
            s,
            targets.map((t) => t.tenantSchema!),
          ),
        )
      : undefined;
    await forEachTarget(
      shared ? targets.filter((t) => shared.has(t.tenantSchema!)) : targets,
      { jobs: options.jobs },
      async (t) => {
        const schema = t.tenantSchema ?? options.recordSchema ?? 'public';
        const result = await sessions
          .use(t, async (s) => {
            const columns = shared?.get(schema) ?? (await recordColumns(s, schema));
            return columns.size ? upToDate(s, t, schema, patches, last, columns, options) : undefined;
          })
          .catch((e: unknown) => (e instanceof ConnectionError ? e : undefined));
        if (result) found.set(t.name, result);
      },
      { failed: () => false, notStarted: () => undefined },
    );
  } catch {
    // Unreadable here (the connection, a permission): each target's migrate finds out and says.
  } finally {
    await sessions.close();
  }
  return found;
}

/** The columns of each schema's record table, for the schemas that have one: one query for the fleet. */
async function recordColumnsOf(session: Session, schemas: string[]): Promise<Map<string, Set<string>>> {
  const r = await session.query<{ schema: string; columns: string[] }>(
    `select n.nspname as schema, array_agg(a.attname::text) as columns
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      where c.relname = $1 and n.nspname = any($2)
      group by n.nspname`,
    [RECORD_TABLE, schemas],
  );
  return new Map(r.rows.map((row) => [row.schema, new Set(row.columns)]));
}

async function upToDate(
  session: Session,
  t: FleetTarget,
  schema: string,
  patches: PatchScan,
  last: number,
  columns: Set<string>,
  options: FleetMigrateOptions,
): Promise<MigrateResult | undefined> {
  const record = await readRecord(session, schema, { columns });
  if (record.has(BUILD_ROW)) return undefined;
  for (let i = 0; i <= last; i++) if (!isDoneRow(record.get(patches.patches[i].name))) return undefined;
  const own = migrateOptions(t, options);
  // Compiled only to find the includes of a patch whose checksum is not in the cache (as migrate does).
  const compile = { variables: own.variables ?? {}, standardConformingStrings: true };
  const selection = await selectPatches(patches, record, own, compile);
  if (selection.todo.length) return undefined;
  return {
    database: t.target.display,
    recordSchema: schema,
    dryRun: Boolean(options.dryRun),
    outcomes: [],
    edited: selection.edited,
    outOfOrder: selection.outOfOrder,
    pending: selection.beyond,
    quit: false,
    copies: selection.copies,
    notPatches: selection.notPatches,
  };
}
