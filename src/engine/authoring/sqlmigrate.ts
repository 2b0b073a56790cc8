/**
 * `sqlmigrate`: finds one patch by its full name or a unique prefix, and shows what would run.
 */
import { readFileSync } from 'node:fs';
import { PgpatchError } from '../../errors';
import { findPatches, isExecutable, type PatchFile } from '../patches/files';
import { lookupPatch } from '../patches/lookup';
import { compileScript, type CompileOptions, type Step } from '../script/compile';
import { canBatch } from '../script/execute';
import { planTransaction, type TransactionMode } from '../script/transactions';

export interface Hook {
  path: string;
  /** A hook that is not executable would fail when the patch runs. */
  executable: boolean;
}

export interface PatchShown {
  patch: PatchFile;
  pre: Hook[];
  post: Hook[];
}

/** The patch `query` names (see lookupPatch: a name, a unique prefix or its file) and its scripts. */
export function showPatch(patchesDir: string, query: string): PatchShown {
  const patch = lookupPatch(findPatches(patchesDir), patchesDir, query);
  const hook = (path: string): Hook => ({ path, executable: isExecutable(path) });
  return { patch, pre: patch.pre.map(hook), post: patch.post.map(hook) };
}

/** The patch's bytes, as they are. */
export function patchText(patch: PatchFile): Buffer {
  return readFileSync(patch.path);
}

export interface ExpandedStatement {
  kind: 'sql' | 'copy' | 'echo' | 'warning';
  /** Where it comes from, after following includes (none for \echo). */
  file?: string;
  line?: number;
  text: string;
  /** For \copy: the file the rows come from. */
  dataFile?: string;
  /** For `COPY ... FROM stdin` in the script: its data lines (without the `\.`). */
  data?: string;
}

/**
 * The patch with its includes expanded, statement by statement, as the script engine would run
 * it: the same compiler, so a missing include or an unsupported backslash command fails here too.
 */
export function expandPatch(patch: PatchFile, options: CompileOptions = {}): ExpandedStatement[] {
  return compileScript(patch.path, options).steps.map(toStatement);
}

function toStatement(step: Step): ExpandedStatement {
  switch (step.kind) {
    case 'sql': {
      const at = step.file.locate(step.start);
      return { kind: 'sql', file: at.file, line: at.line, text: step.text };
    }
    case 'copy': {
      const at = step.file.locate(step.start);
      return { kind: 'copy', file: at.file, line: at.line, text: step.sql, dataFile: step.dataFile, data: step.inline?.text };
    }
    case 'echo':
      return { kind: 'echo', text: step.text };
    case 'warning':
      return { kind: 'warning', file: step.location.file, line: step.location.line, text: step.message };
  }
}

export interface RunPlan {
  /** How migrate runs it; `refused` when migrate would refuse it before running anything. */
  mode: TransactionMode | 'refused';
  reason: string;
  /** Sent to the server as one message (with its record and COMMIT). */
  oneMessage: boolean;
}

/**
 * How migrate would run the patch: the same compiler and the same transaction analysis. A patch
 * migrate would stop at (a missing include, BEGIN without COMMIT ...) is `refused`, with why.
 */
export async function runPlanOf(patch: PatchFile, options: CompileOptions = {}): Promise<RunPlan> {
  try {
    const steps = compileScript(patch.path, options).steps;
    const plan = await planTransaction(patch.name, readFileSync(patch.path, 'utf8'), steps);
    return { mode: plan.mode, reason: plan.reason, oneMessage: plan.mode !== 'none' && canBatch(steps) };
  } catch (e) {
    if (e instanceof PgpatchError) return { mode: 'refused', reason: e.message, oneMessage: false };
    throw e;
  }
}

export interface SqlMigrateResult extends PatchShown {
  run: RunPlan;
  /** The patch as it is (without `expand`). */
  text?: Buffer;
  /** The statements as they would run, includes followed (with `expand`). */
  statements?: ExpandedStatement[];
}

/** `sqlmigrate`: the patch a name means, how migrate would run it, and its text or its expanded statements. */
export async function sqlMigrate(options: {
  patchesDir: string;
  name: string;
  expand?: boolean;
  compile?: CompileOptions;
}): Promise<SqlMigrateResult> {
  const shown = showPatch(options.patchesDir, options.name);
  const statements = options.expand ? expandPatch(shown.patch, options.compile) : undefined;
  const run = await runPlanOf(shown.patch, options.compile);
  return { ...shown, run, ...(statements ? { statements } : { text: patchText(shown.patch) }) };
}
