// Shared by the script-engine tests: throwaway folders of .sql files, and loading them into the
// test's own database (t.context.db from useDatabase). Not a test file (no .test.mjs suffix).
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { compileScript, loadScript, targetFrom } from 'pgpatch';

/**
 * Writes `files` ({ 'relative/path.sql': text or Buffer }) into a new temporary folder, removed
 * when the test ends. Returns the folder.
 */
export function scriptDir(t, files) {
  // The real path: error messages show paths relative to the (real) working directory.
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'pgpatch-script-')));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  return dir;
}

/** The SQL statements a script splits into, as sent to the server (no database involved). */
export function split(t, text, options = {}) {
  const dir = scriptDir(t, { 'script.sql': text });
  return compileScript(join(dir, 'script.sql'), options)
    .steps.filter((s) => s.kind === 'sql')
    .map((s) => s.text);
}

/** Loads `entry` into the test's database; `events` collects what the script said. */
export async function load(t, entry, options = {}) {
  const events = [];
  const result = await loadScript({
    target: targetFrom(t.context.db.url, 'test'),
    entry,
    onEvent: (e) => events.push(e),
    ...options,
  });
  return { ...result, events };
}

/** Writes one script and loads it. */
export async function loadText(t, text, options = {}) {
  const dir = scriptDir(t, { 'script.sql': text });
  return load(t, join(dir, 'script.sql'), options);
}
