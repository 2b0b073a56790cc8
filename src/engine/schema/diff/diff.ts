/**
 * `diff`: the SQL that turns one schema (FROM) into another (TO), each a database URL or schema
 * files. Reads both sides (at the same time), limits them to the schemas asked for, and plans.
 * Never writes to a database given by URL.
 */
import type { Change } from './change';
import { planDiff } from './plan';
import { readSource, restrictModel, scratchFor, type DiffSource, type ReadSourceOptions } from './sources';

export interface DiffOptions extends ReadSourceOptions {
  from: DiffSource;
  to: DiffSource;
  /** Only these schemas (by name, as in the catalog). */
  schemas?: string[];
  excludeSchemas?: string[];
}

export interface DiffResult {
  from: string;
  to: string;
  /** In the order to run them; empty when the two schemas are the same. */
  changes: Change[];
}

export async function diff(options: DiffOptions): Promise<DiffResult> {
  const server = await scratchFor([options.from, options.to], options);
  const [from, to] = await Promise.all([readSource(options.from, options, server), readSource(options.to, options, server)]);
  const limit = (m: typeof from.model) => restrictModel(m, options.schemas, options.excludeSchemas);
  const changes = planDiff({
    from: limit(from.model),
    to: limit(to.model),
    fromDependencies: from.dependencies,
    toDependencies: to.dependencies,
  });
  return { from: from.label, to: to.label, changes };
}
