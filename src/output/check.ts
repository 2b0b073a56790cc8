/** Text for `check` results. */
import type { CheckResult } from '../engine/schema/check/check';

/** `strictFlag: false` where no --strict makes column order fail (migrate's comparison before a baseline, where --strict means something else). */
export function formatCheck(result: CheckResult, { strictFlag = true } = {}): string[] {
  const lines: string[] = [];
  if (result.base) {
    const added = result.base.patchesAdded;
    lines.push(
      `compared the schema files with the schema files at ${result.base.ref} (${result.base.commit.slice(0, 12)}) plus ${added.length} patch${added.length === 1 ? '' : 'es'} since${added.length ? `: ${added.join(', ')}` : ''}`,
    );
  } else {
    lines.push(`compared the schema files with ${result.actual}`);
  }
  if (result.differences.length === 0) {
    lines.push('ok: they describe the same database');
    return lines;
  }
  for (const d of result.differences) {
    const note =
      d.kind === 'column_order' && result.failing < result.differences.length
        ? strictFlag
          ? ' (column order: fails only with --strict)'
          : ' (column order: does not block)'
        : '';
    lines.push(`- ${d.message}${note}`);
  }
  lines.push(
    result.ok
      ? `ok: only column order differs (${result.differences.length})${strictFlag ? '; --strict makes that fail' : ''}`
      : `${result.failing} difference${result.failing === 1 ? '' : 's'}`,
  );
  return lines;
}
