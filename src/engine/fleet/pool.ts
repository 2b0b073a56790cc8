/**
 * Running a fleet's targets: at most `jobs` at a time, in the fleet's order, the canaries first,
 * and no new start after a failure under --fail-fast. Work already started always finishes: a
 * target is never stopped half-way by another's failure.
 */
import type { FleetRunOptions, FleetStop, FleetTarget } from './types';
import { DEFAULT_JOBS } from './types';

export interface Scheduled<R> {
  /** One per target, in the fleet's order; `notStarted(target)` for those never started. */
  results: R[];
  stopped?: FleetStop;
}

export async function forEachTarget<R>(
  targets: FleetTarget[],
  options: FleetRunOptions,
  work: (target: FleetTarget) => Promise<R>,
  how: { failed: (r: R) => boolean; notStarted: (target: FleetTarget) => R; done?: (r: R, target: FleetTarget) => void },
): Promise<Scheduled<R>> {
  const results: Array<R | undefined> = new Array(targets.length);
  const jobs = Math.max(1, options.jobs ?? DEFAULT_JOBS);
  let stopped: FleetStop | undefined;
  const runRange = async (from: number, to: number) => {
    let next = from;
    const worker = async () => {
      while (next < to && !stopped) {
        const i = next++;
        const r = await work(targets[i]);
        results[i] = r;
        how.done?.(r, targets[i]);
        if (options.failFast && how.failed(r)) stopped ??= 'fail-fast';
      }
    };
    await Promise.all(Array.from({ length: Math.min(jobs, to - from) }, worker));
  };
  const canaries = Math.min(options.canary ?? 0, targets.length);
  if (canaries > 0) {
    await runRange(0, canaries);
    if (!stopped && results.slice(0, canaries).some((r) => r !== undefined && how.failed(r))) stopped = 'canary';
  }
  if (!stopped) await runRange(canaries, targets.length);
  // Array.from, not map: map skips the holes the targets never started left.
  return { results: Array.from(results, (r, i) => r ?? how.notStarted(targets[i])), stopped };
}

/**
 * Turns for connections beyond the targets' sessions (see MigrateOptions.extraConnections):
 * `count` of them, so that a fleet's connections stay within `jobs` plus these.
 */
export class Turns {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(count: number) {
    this.free = count;
  }

  take(): Promise<() => void> {
    const now = this.tryTake();
    if (now) return Promise.resolve(now);
    return new Promise((resolve) => this.waiting.push(() => resolve(this.giveBack())));
  }

  tryTake(): (() => void) | undefined {
    if (this.free === 0) return undefined;
    this.free--;
    return this.giveBack();
  }

  /** A function that gives the turn back once (to the next in line, if any). */
  private giveBack(): () => void {
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}
