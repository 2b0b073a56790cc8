/** `load`'s result: what ran, and the record it wrote. */
import type { LoadResult } from '../engine/script/load';
import { printJson } from './json';
import { say } from './terminal';

export function renderLoad(result: LoadResult, o: { json?: boolean }): void {
  if (o.json) {
    printJson(result);
    return;
  }
  say(`pgpatch: loaded ${result.statements} statements from ${result.files.length} files in ${result.durationMs} ms into ${result.target}`);
  const r = result.recorded;
  if (r) {
    const what = r.assumed ? `recorded ${r.assumed} patch${r.assumed === 1 ? '' : 'es'} as assumed in` : 'created the record';
    say(`pgpatch: ${what} ${r.schema}.schema_patch: migrate runs only patches written from now on`);
  }
}
