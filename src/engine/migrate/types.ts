/**
 * The types migrate's files share: what a run is asked to do, what it reports, and a pending
 * patch once read and analysed. Here so that migrate.ts and apply.ts need not import each other.
 */
import type { LockHolder } from '../../errors';
import type { StatementLockWaitEvent } from './lock-waits';
import type { Target } from '../db';
import type { NotPatch, PatchFile } from '../patches/files';
import type { ExpectedRow } from '../patches/recorder';
import type { PatchStatusRow } from '../patches/status';
import type { Step } from '../script/compile';
import type { ScriptEvent } from '../script/execute';
import type { TransactionPlan } from '../script/transactions';

export type Decision = 'yes' | 'no' | 'skip' | 'all' | 'quit';

export interface Question {
  kind: 'patch' | 'pre' | 'post';
  patch: PatchFile;
  /** For pre/post: the script's path. */
  script?: string;
}

export type MigrateEvent =
  | ScriptEvent
  | { type: 'lock-wait'; holders: LockHolder[] }
  | StatementLockWaitEvent
  | { type: 'first-run'; empty: boolean; patches: number }
  | { type: 'patch-start'; index: number; total: number; name: string; mode: string }
  | { type: 'patch-done'; index: number; total: number; name: string; status: OutcomeStatus; durationMs: number }
  | { type: 'hook-output'; script: string; stream: 'stdout' | 'stderr'; chunk: string };

export interface MigrateOptions {
  target: Target;
  patchesDir: string;
  /** Schema entry file: builds an empty database on the first run. */
  entry: string;
  recordSchema?: string;
  /** Apply up to and including this patch (name or unique prefix). */
  upTo?: string;
  /** Only report what would run; the session is read-only. */
  dryRun?: boolean;
  /** Record these patches as applied without running them. */
  fake?: string[];
  /** Record these patches as skipped forever. */
  skip?: string[];
  /** Accept the edited file of these applied patches: the record takes their new checksum (nothing runs). */
  acceptChecksum?: string[];
  /** Run these again although a previous run failed half-way outside a transaction. */
  retry?: string[];
  /**
   * A patch edited after it was applied, one that sorts before applied ones, or a file that is
   * not a patch, is an error instead of a warning; a copy of a patch is refused even when allowed.
   */
  strict?: boolean;
  /** The CI question (--check): a file that is not a patch is refused, as with strict. */
  check?: boolean;
  /** Pending patches with the bytes of another patch that may run all the same (names, unique prefixes or files). */
  allowCopy?: string[];
  /** Asked, before anything runs, about a copy allowCopy does not name (interactive runs); otherwise it is refused. */
  confirmCopy?: (copy: Omit<PatchCopy, 'allowedBy'>) => Promise<boolean>;
  /** On a non-empty database without a record, record all patches as assumed. */
  assumeApplied?: boolean;
  /** How long to wait for the run lock (another migrate run), in ms; 0: not at all. */
  lockTimeoutMs?: number;
  /** PostgreSQL's lock_timeout for patch statements, in ms (see lock-waits.ts); unset: wait as long as it takes. */
  statementLockTimeoutMs?: number;
  variables?: Record<string, string>;
  /** Asked before each patch and script when given (interactive runs); otherwise all apply. */
  decide?: (q: Question) => Promise<Decision>;
  /** Asked on a non-empty database without a record, when assumeApplied is not set. */
  confirmBaseline?: (patches: number) => Promise<boolean>;
  onEvent?: (e: MigrateEvent) => void;
  applicationName?: string;
  /** Where checksums of unchanged files are cached; without it every file is hashed. */
  checksumCache?: string;
}

/** A pending patch with the same content as another patch, which runs only when allowed (see select.ts). */
export interface PatchCopy {
  name: string;
  /** The patch it is a copy of. */
  copyOf: string;
  /** That patch is applied or assumed, or pending and run before it by this run. */
  copyOfState: 'applied' | 'assumed' | 'pending';
  /** How the user said the copy is meant. */
  allowedBy: '--allow-copy' | 'prompt';
}

export type OutcomeStatus =
  'applied' | 'faked' | 'skipped' | 'accepted' | 'declined' | 'failed' | 'would_apply' | 'would_fake' | 'would_skip' | 'would_accept';

export interface PatchOutcome {
  name: string;
  file: string;
  status: OutcomeStatus;
  mode?: TransactionPlan['mode'];
  reason?: string;
  /** Only the post scripts ran (the patch had committed in an earlier run). */
  postOnly?: boolean;
  durationMs?: number;
  /** Run again with --retry after it failed or was interrupted outside a transaction. */
  retry?: boolean;
  /** --accept-checksum: the checksum the record had, and the file's. */
  oldChecksum?: string | null;
  newChecksum?: string;
}

export interface MigrateResult {
  database: string;
  recordSchema: string;
  dryRun: boolean;
  /** Set when this run created the record. */
  firstRun?: { built: boolean; entry?: string; assumed: number };
  outcomes: PatchOutcome[];
  /** Applied patches whose file changed since. */
  edited: string[];
  /** Patches of this run that sort before an applied one: they run out of order. */
  outOfOrder: Array<{ name: string; sortsBefore: string }>;
  /** Still pending after the run (declined, beyond the target, quit). */
  pending: string[];
  quit: boolean;
  /** Copies of other patches this run runs (or would run), as allowed. */
  copies: PatchCopy[];
  /** `.sql` files in the patches folder that look meant as patches and are not: never run. */
  notPatches: NotPatch[];
}

/** A pending patch, read and analysed before the first one runs. */
export interface Prepared {
  patch: PatchFile;
  row: PatchStatusRow;
  /** Of the bytes that were compiled: the record keeps what ran. */
  checksum: string;
  steps: Step[];
  plan: TransactionPlan;
  postOnly: boolean;
  /** The patch's row in the record as read before the run (null: none); writes expect it unchanged. */
  recorded: ExpectedRow;
  /** Named by --retry. */
  retry?: boolean;
}
