/**
 * `showmigrations` over a fleet: where each target stands, from its record, read-only. Not the
 * patch-by-patch list of one target (showmigrations on it gives that): a state, the first patch
 * it still needs (or the one that failed), and how many it needs.
 */
import { BaselineNeededError, ConnectionError, EXIT, PgpatchError } from '../../errors';
import type { Session } from '../db';
import { isEmptyDatabase, isEmptySchema } from '../patches/emptiness';
import { findPatches, type PatchFile } from '../patches/files';
import { BUILD_ROW, readRecord, recordColumns, type RecordRow } from '../patches/recorder';
import { forEachTarget } from './pool';
import { sessionPerTarget, sharedSessions, type ReadSessions } from './sessions';
import { listFleet } from './targets';
import type { FleetListedEvent, FleetRunOptions, FleetSpec, FleetTarget, TargetDoneEvent } from './types';

export type FleetState = 'up_to_date' | 'pending' | 'failed' | 'needs_baseline' | 'unreachable' | 'error';

export interface FleetTargetState {
  name: string;
  /** The connection, password masked (with the schema for a tenant). */
  target: string;
  state: FleetState;
  /** For pending and failed: the first patch it still needs, or the one that failed (its record's). */
  patch?: string;
  /** Patches it still needs (failed ones included). */
  pending: number;
  /** No record yet and nothing of its own: the next migrate builds it from the schema files. */
  noRecord?: boolean;
  /** failed: what the record says of it; unreachable, error: what went wrong. */
  error?: unknown;
}

export interface FleetShowOptions extends Pick<FleetRunOptions, 'jobs'> {
  fleet: FleetSpec;
  patchesDir: string;
  /** The record's schema on database targets (a tenant's record is in its schema). */
  recordSchema?: string;
  onEvent?: (e: FleetListedEvent | TargetDoneEvent) => void;
}

export interface FleetShowResult {
  targets: FleetTargetState[];
  counts: Record<FleetState, number>;
  /**
   * The worst exit status of the targets that could not be read (unreachable: 4), as
   * showmigrations of each alone would exit; 0 when every one was read, whatever it holds.
   */
  exitCode: number;
}

export const FLEET_STATES: FleetState[] = ['up_to_date', 'pending', 'failed', 'needs_baseline', 'unreachable', 'error'];

export async function showFleet(options: FleetShowOptions): Promise<FleetShowResult> {
  const patches = findPatches(options.patchesDir);
  const targets = await listFleet(options.fleet);
  options.onEvent?.({ type: 'fleet-listed', total: targets.length });
  const sessions = options.fleet.kind === 'schemas' ? sharedSessions() : sessionPerTarget();
  let done = 0;
  try {
    const { results } = await forEachTarget(targets, { jobs: options.jobs }, (t) => stateOf(sessions, t, patches, options.recordSchema), {
      failed: () => false,
      notStarted: (t): FleetTargetState => ({ name: t.name, target: t.target.display, state: 'error', pending: 0 }),
      done: (r) =>
        options.onEvent?.({ type: 'target-done', name: r.name, status: r.state, done: ++done, total: targets.length, failed: 0 }),
    });
    const counts = Object.fromEntries(FLEET_STATES.map((s) => [s, 0])) as Record<FleetState, number>;
    let exitCode = 0;
    for (const r of results) {
      counts[r.state]++;
      if (r.state === 'unreachable' || r.state === 'error')
        exitCode = Math.max(exitCode, r.error instanceof PgpatchError ? r.error.exitCode : EXIT.internal);
    }
    return { targets: results, counts, exitCode };
  } finally {
    await sessions.close();
  }
}

async function stateOf(sessions: ReadSessions, t: FleetTarget, patches: PatchFile[], recordSchema = 'public'): Promise<FleetTargetState> {
  const base = { name: t.name, target: t.target.display, pending: 0 };
  try {
    return { ...base, ...(await sessions.use(t, (s) => readState(s, t, patches, recordSchema))) };
  } catch (e) {
    return { ...base, state: e instanceof ConnectionError ? 'unreachable' : 'error', error: e };
  }
}

async function readState(
  session: Session,
  t: FleetTarget,
  patches: PatchFile[],
  recordSchema: string,
): Promise<Pick<FleetTargetState, 'state' | 'patch' | 'pending' | 'noRecord' | 'error'>> {
  const schema = t.tenantSchema ?? recordSchema;
  const columns = await recordColumns(session, schema);
  if (columns.size === 0) {
    const empty = t.tenantSchema === undefined ? await isEmptyDatabase(session) : await isEmptySchema(session, t.tenantSchema);
    return empty
      ? { state: 'pending', pending: patches.length, noRecord: true }
      : { state: 'needs_baseline', pending: patches.length, error: new BaselineNeededError(t.target.display, schema, patches.length) };
  }
  const record = await readRecord(session, schema, { columns });
  return stateOfRecord(patches, record);
}

/** A record's row of a patch that needs a person, or a pre/post script that failed: the target "failed". */
function failedRow(r: RecordRow | undefined): boolean {
  return r !== undefined && (r.status === 'failed' || (r.status === 'applying' && r.stage === 'patch'));
}

export function isDoneRow(r: RecordRow | undefined): boolean {
  return r !== undefined && (r.status === 'applied' || r.status === 'assumed' || r.status === 'skipped');
}

/** The state a record gives, against the patches on disk. */
export function stateOfRecord(
  patches: PatchFile[],
  record: Map<string, RecordRow>,
): Pick<FleetTargetState, 'state' | 'patch' | 'pending' | 'error'> {
  const build = record.get(BUILD_ROW);
  if (build)
    return { state: 'failed', patch: BUILD_ROW, pending: patches.length, error: build.error ?? 'the first-run build did not finish' };
  let first: string | undefined;
  let failed: RecordRow | undefined;
  let pending = 0;
  for (const p of patches) {
    const r = record.get(p.name);
    if (isDoneRow(r)) continue;
    pending++;
    first ??= p.name;
    if (!failed && failedRow(r)) failed = r;
  }
  if (failed) return { state: 'failed', patch: failed.name, pending, error: failed.error ?? undefined };
  return first ? { state: 'pending', patch: first, pending } : { state: 'up_to_date', pending: 0 };
}
