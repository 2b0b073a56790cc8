/** Text for `try` results: each statement with what it locked, rewrote and built; then the whole patch. */
import type { TryResult } from '../engine/authoring/try/try';
import { displayPath, formatLocation } from './text';

export function formatTry(result: TryResult): string[] {
  const lines: string[] = [
    result.scratch
      ? `tried ${result.patch} on a scratch database built from ${result.scratch}, dropped after`
      : `tried ${result.patch} on ${result.database}, in a transaction that was rolled back`,
  ];
  for (const s of result.statements) {
    const rows = s.rows === null ? '' : `, ${s.rows} row${s.rows === 1 ? '' : 's'}`;
    lines.push(`${formatLocation(s.location, false)}: ${s.summary.trim().slice(0, 80)}  (${s.durationMs} ms${rows})`);
    for (const l of s.locks)
      lines.push(
        `  lock ${l.lock} on ${l.relation}: blocks ${l.blocks.join(', ')}; held ${l.heldMs} ms, to the end of the patch (${size(l.bytes)})`,
      );
    for (const r of s.rewrites) lines.push(`  rewrites ${r.relation} (${size(r.bytes)}${r.rows === null ? '' : `, about ${r.rows} rows`})`);
    for (const b of s.indexBuilds)
      lines.push(`  builds index ${b.index} on ${b.table} (${size(b.bytes)}${b.rows === null ? '' : `, about ${b.rows} rows`})`);
  }
  if (result.error) {
    lines.push('the patch failed (below) and everything was rolled back');
    return lines;
  }
  lines.push(result.changes.length ? 'what the patch changed:' : 'the patch changed no schema object');
  for (const d of result.changes) lines.push(`- ${d.message}`);
  if (result.schemaFiles?.matches) lines.push('ok: the database now matches the schema files');
  else if (result.schemaFiles) {
    lines.push('the database now differs from the schema files (is the patch complete? are the schema files updated?):');
    for (const d of result.schemaFiles.differences) lines.push(`- ${d.message}`);
  }
  if (result.hazards.length) lines.push('hazards seen:', ...result.hazards.map((h) => `- ${shortPath(h)}`));
  lines.push(
    result.scratch
      ? `${result.durationMs} ms; the scratch database was dropped`
      : `${result.durationMs} ms; rolled back: nothing was committed`,
  );
  return lines;
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} kB`;
  return `${Math.round(bytes / 1024 / 1024)} MB`;
}

function shortPath(hazard: string): string {
  const colon = hazard.indexOf(':');
  return colon > 0 ? displayPath(hazard.slice(0, colon)) + hazard.slice(colon) : hazard;
}
