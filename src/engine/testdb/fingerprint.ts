/**
 * What goes into a testdb template, as a content hash: the statements of the schema files as they
 * will run (includes followed, psql variables filled in, comments between statements left out),
 * the patches recorded as assumed (names and checksums), the record's schema, the server's
 * version and pgpatch's. A template whose stored fingerprint equals this one is current.
 *
 * Limits: `:DBNAME` is filled in with the template's name (the build runs in a database of
 * another name, renamed at the end); a `\copy ... from 'file'` counts by its data file's bytes.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { compileScript } from '../script/compile';
import { checksumOf } from '../patches/checksums';
import type { PatchFile } from '../patches/files';

/**
 * How testdb builds a template; raised when that changes (what the build grants, say), so that
 * templates built the old way are rebuilt.
 */
export const RECIPE = 1;

export interface Fingerprint {
  /** sha256 of everything below, hex. */
  hash: string;
  /** sha256 of the schema files' statements, hex. */
  schema: string;
  /** sha256 of the patches' names and checksums, hex. */
  patches: string;
  /** server_version_num of the server it is built on. */
  server: number;
  pgpatch: string;
  recipe: number;
  /** Counts, for people. */
  statements: number;
  patchCount: number;
}

export interface FingerprintInput {
  entry: string;
  patches: PatchFile[];
  recordSchema: string;
  /** psql's variables as the build gets them (scriptContext), DBNAME being the template's name. */
  variables: Record<string, string>;
  standardConformingStrings: boolean;
  server: number;
}

export function fingerprint(input: FingerprintInput): Fingerprint {
  const script = compileScript(input.entry, { variables: input.variables, standardConformingStrings: input.standardConformingStrings });
  const schema = createHash('sha256');
  let statements = 0;
  for (const step of script.steps) {
    // Each piece ends with a NUL, which no statement holds: "ab" + "c" differs from "a" + "bc".
    if (step.kind === 'sql') {
      statements++;
      schema.update(`sql\0${step.text}\0`);
    } else if (step.kind === 'copy') {
      statements++;
      schema.update(`copy\0${step.sql}\0`);
      if (step.inline) schema.update(`${step.inline.text}\0`);
      if (step.dataFile) schema.update(readFileSync(step.dataFile)).update('\0');
    } else if (step.kind === 'echo') schema.update(`echo\0${step.stream}\0${step.text}\0`);
  }
  const patches = createHash('sha256');
  for (const p of input.patches) patches.update(`${p.name}\0${checksumOf(p.path)}\0`);
  const parts = {
    schema: schema.digest('hex'),
    patches: patches.update(`record schema\0${input.recordSchema}\0`).digest('hex'),
    server: input.server,
    pgpatch: pgpatchVersion(),
    recipe: RECIPE,
  };
  const hash = createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  return { hash, ...parts, statements, patchCount: input.patches.length };
}

let version: string | undefined;

/** pgpatch's own version, from its package.json. */
function pgpatchVersion(): string {
  version ??= (JSON.parse(readFileSync(resolve(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}

/** server_version_num as people write it: 180001 → 18.1, 90624 → 9.6.24. */
export function serverVersion(num: number): string {
  const major = Math.floor(num / 10000);
  return major >= 10 ? `${major}.${num % 10000}` : `${Math.floor(num / 10000)}.${Math.floor(num / 100) % 100}.${num % 100}`;
}
