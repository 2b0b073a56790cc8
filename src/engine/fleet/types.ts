/**
 * A fleet: many targets patched, planned, shown or checked by one command (issue 22). Each
 * target is what a single command's target is (its own run lock, record and session); the
 * fleet decides which, how many at a time, and what happens after a failure.
 */
import type { Target } from '../../target';

/**
 * Which targets: every database of a server whose name is LIKE `pattern` (templates and the
 * maintenance database `postgres` never), every schema of one database LIKE `pattern` (a tenant
 * each: never `public`, `information_schema` nor `pg_*`), or a list (`--targets FILE`).
 */
export type FleetSpec =
  | { kind: 'databases'; server: Target; pattern: string }
  | { kind: 'schemas'; database: Target; pattern: string }
  | { kind: 'targets'; targets: Target[] };

/** One target of a fleet. */
export interface FleetTarget {
  /** How people name it: the database, the schema, or the connection (password masked). */
  name: string;
  target: Target;
  /** A schema-per-tenant target: its schema holds its record, and its patches run with it first on the search_path. */
  tenantSchema?: string;
}

/** How a fleet runs. */
export interface FleetRunOptions {
  /** At most this many targets at a time, each on its own session (default DEFAULT_JOBS). */
  jobs?: number;
  /** After the first target that fails, start no other. */
  failFast?: boolean;
  /** The first this many targets run before the others, which start only if none of them failed. */
  canary?: number;
}

export const DEFAULT_JOBS = 4;

/** Why targets were not started: a canary failed, or a target failed under --fail-fast. */
export type FleetStop = 'canary' | 'fail-fast';

/** Progress: a target has finished (`failed`: how many so far). */
export interface TargetDoneEvent {
  type: 'target-done';
  name: string;
  status: string;
  done: number;
  total: number;
  failed: number;
  /** The failure, when it failed. */
  error?: unknown;
}

/** What a target's own run says (its patches' notices, pre/post scripts' output, lock waits), with the target's name. */
export interface TargetEvent<E> {
  type: 'target-event';
  name: string;
  event: E;
}

/** The fleet is listed: how many targets it has. */
export interface FleetListedEvent {
  type: 'fleet-listed';
  total: number;
}
