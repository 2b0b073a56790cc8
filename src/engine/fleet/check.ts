/**
 * `check --dsn` over a fleet of databases: the schema files built once, then each database
 * compared with them, read-only, `jobs` at a time. A database that cannot be reached or read
 * is reported and the others are still compared.
 */
import { ConnectionError, PgpatchError, UsageError, EXIT } from '../../errors';
import { withSchemaFiles, type CheckEvent, type CheckOptions, type CheckResult } from '../schema/check/check';
import { forEachTarget } from './pool';
import { listFleet } from './targets';
import type { FleetListedEvent, FleetRunOptions, FleetSpec, TargetDoneEvent } from './types';

export interface FleetCheckOptions extends Omit<CheckOptions, 'live' | 'baseRef' | 'onEvent'>, Pick<FleetRunOptions, 'jobs'> {
  fleet: FleetSpec;
  onEvent?: (e: CheckEvent | FleetListedEvent | TargetDoneEvent) => void;
}

/** same: the database is what the schema files describe; different: it is not (drift). */
export type FleetCheckStatus = 'same' | 'different' | 'unreachable' | 'failed';

export const FLEET_CHECK_STATUSES: FleetCheckStatus[] = ['same', 'different', 'unreachable', 'failed'];

export interface FleetTargetCheck {
  name: string;
  target: string;
  status: FleetCheckStatus;
  exitCode: number;
  result?: CheckResult;
  error?: unknown;
}

export interface FleetCheckResult {
  targets: FleetTargetCheck[];
  counts: Record<FleetCheckStatus, number>;
  /** The worst (highest) of the targets' exit statuses: 1 when one differs. */
  exitCode: number;
}

export async function checkFleet(options: FleetCheckOptions): Promise<FleetCheckResult> {
  if (options.fleet.kind === 'schemas') {
    throw new UsageError(
      "check --dsn compares whole databases with the schema files; it does not compare a tenant's schema alone (--schemas)",
      {
        hint: 'migrate --check --schemas PATTERN says which tenants have patches pending; check --databases or --targets compares databases',
      },
    );
  }
  // Listed before the build: a pattern that matches nothing is refused before a scratch database is made.
  const targets = await listFleet(options.fleet);
  options.onEvent?.({ type: 'fleet-listed', total: targets.length });
  let done = 0;
  let failed = 0;
  return withSchemaFiles(options, async (compare) => {
    const { results } = await forEachTarget(
      targets,
      { jobs: options.jobs },
      async (t): Promise<FleetTargetCheck> => {
        const base = { name: t.name, target: t.target.display };
        try {
          const result = await compare(t.target);
          return { ...base, status: result.ok ? 'same' : 'different', exitCode: result.ok ? EXIT.ok : EXIT.answerNo, result };
        } catch (e) {
          if (e instanceof ConnectionError) return { ...base, status: 'unreachable', exitCode: e.exitCode, error: e };
          return { ...base, status: 'failed', exitCode: e instanceof PgpatchError ? e.exitCode : EXIT.internal, error: e };
        }
      },
      {
        failed: (r) => r.exitCode > EXIT.answerNo,
        notStarted: (t): FleetTargetCheck => ({ name: t.name, target: t.target.display, status: 'failed', exitCode: 0 }),
        done: (r) => {
          if (r.exitCode !== 0) failed++;
          options.onEvent?.({
            type: 'target-done',
            name: r.name,
            status: r.status,
            done: ++done,
            total: targets.length,
            failed,
            error: r.error,
          });
        },
      },
    );
    const counts = Object.fromEntries(FLEET_CHECK_STATUSES.map((s) => [s, 0])) as Record<FleetCheckStatus, number>;
    for (const r of results) counts[r.status]++;
    return { targets: results, counts, exitCode: results.reduce((worst, r) => Math.max(worst, r.exitCode), 0) };
  });
}
