// The library does not export findPatches; tests that call lintPatches build PatchFile values.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export function findPatchesForTest(dir) {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => ({
      name: f.replace(/\.sql$/, ''),
      path: join(dir, f),
      relativePath: f,
      pre: [],
      post: [],
    }));
}
