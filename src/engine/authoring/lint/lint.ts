/**
 * `lint`: squawk's lock-hazard rules over patches as they will run. squawk sees one file; a
 * patch is a tree of `\i` includes with psql variables, run inside a transaction pgpatch may
 * add. So each patch is compiled the way migrate compiles it, its statements written to one
 * file for squawk (with the `-- squawk-ignore` comments that stood above them), squawk told
 * whether pgpatch wraps the patch, and each finding mapped back to the file and line it came
 * from. Findings on a table the same patch created are dropped: nobody else can hold it yet.
 *
 * squawk's timeout rules ask every patch to set `lock_timeout` and `statement_timeout`. migrate
 * sets lock_timeout itself when it has a statement lock timeout (`--statement-lock-timeout`,
 * PGPATCH_STATEMENT_LOCK_TIMEOUT): lint reads the same setting, shows squawk the SET that migrate
 * sends, and then leaves require-statement-timeout out: the lock timeout is what keeps other
 * sessions from queueing behind a patch, and a statement timeout would only cut a long backfill
 * short (try and the rewrite rules show how long a patch holds its locks).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PgpatchError, type SourceLocation } from '../../../errors';
import { loadParser, statementTables, syntaxProblem, type RelationName, type StatementTables, type SyntaxProblem } from '../../parser';
import type { PatchFile } from '../../patches/files';
import { compileScript, type CompileOptions, type Step } from '../../script/compile';
import { charIndexToOffset, mapToSource } from '../../script/execute';
import { planTransaction, type TransactionMode } from '../../script/transactions';
import { runSquawk, squawkVersion, type SquawkFinding, type SquawkOptions } from '../../squawk';
import { fileIgnores, ignoreCommentsAbove } from './ignores';

export interface LintOptions {
  patches: PatchFile[];
  compile?: CompileOptions;
  /** Rules turned off (squawk names), on top of the project's `.squawk.toml`. */
  exclude?: string[];
  /** squawk's opt-in rules to turn on. */
  include?: string[];
  /** The project's `.squawk.toml`, when it has one. */
  configFile?: string;
  pgVersion?: string;
  /** The statement lock timeout migrate will set (ms), when it sets one: it satisfies squawk's timeout rules. */
  statementLockTimeoutMs?: number;
}

export interface LintFinding {
  rule: string;
  /** `error` for a rule's finding and for SQL PostgreSQL's parser rejects (lint exits 1); `warning` when only squawk cannot read it. */
  level: 'error' | 'warning';
  message: string;
  help: string | null;
  /** Where the statement is, after following includes. */
  location: SourceLocation;
  /** The `\i` lines that led there, outermost first. */
  trace: SourceLocation[];
}

export interface IgnoredFinding {
  rule: string;
  location: SourceLocation;
  why: 'table created by this patch' | 'squawk-ignore-file' | 'character varying is not char(n)';
}

export interface PatchLint {
  name: string;
  path: string;
  /** How migrate runs it; `refused` when migrate would refuse it (then it is not linted). */
  mode: TransactionMode | 'refused';
  reason: string;
  findings: LintFinding[];
  ignored: IgnoredFinding[];
}

export interface LintResult {
  squawkVersion: string;
  /** The statement lock timeout migrate sets, as lint counted it (ms); null: none, so the timeout rules apply. */
  statementLockTimeoutMs: number | null;
  patches: PatchLint[];
  /** Findings at error level, plus refused patches: lint exits 1 when this is not 0. */
  errors: number;
  warnings: number;
}

interface Prepared {
  lint: PatchLint;
  /** The file squawk reads, and what goes in it. */
  squawkFile?: string;
  squawkText?: string;
  statements: Placed[];
  ignoreFile: Map<string, Set<string> | 'all'>;
}

/** One statement of the patch in squawk's file: its lines there, and where it came from. */
interface Placed {
  genLine: number;
  lines: number;
  step: Extract<Step, { kind: 'sql' | 'copy' }>;
  text: string;
  at: SourceLocation;
  /** Parsed on first need, once: a statement often has several findings. */
  tables?: StatementTables;
  /** What PostgreSQL's parser says of a statement squawk could not read (null: it reads it), once reported. */
  syntax?: { problem: SyntaxProblem | null; reported: boolean };
}

export async function lintPatches(options: LintOptions): Promise<LintResult> {
  const dir = mkdtempSync(join(tmpdir(), 'pgpatch-lint-'));
  try {
    const prepared: Prepared[] = [];
    const timeout = options.statementLockTimeoutMs ? lockTimeoutLine(options.statementLockTimeoutMs) : undefined;
    for (const [i, patch] of options.patches.entries())
      prepared.push(await prepare(patch, options.compile, join(dir, `${i}.sql`), timeout));
    // Written all at once: one by one, a thousand small files cost seconds on a busy disk.
    await Promise.all(prepared.filter((p) => p.squawkFile).map((p) => writeFile(p.squawkFile!, p.squawkText!)));
    const byFile = new Map(prepared.filter((p) => p.squawkFile).map((p) => [p.squawkFile!, p]));
    const base: Omit<SquawkOptions, 'assumeInTransaction'> = {
      exclude: timeout ? [...(options.exclude ?? []), 'require-statement-timeout'] : options.exclude,
      include: options.include,
      configFile: options.configFile,
      pgVersion: options.pgVersion,
    };
    const files = (wrapped: boolean) =>
      prepared.filter((p) => p.squawkFile && (p.lint.mode === 'wrapped') === wrapped).map((p) => p.squawkFile!);
    const [inTx, outside, version] = await Promise.all([
      runSquawk(files(true), { ...base, assumeInTransaction: true }),
      runSquawk(files(false), { ...base, assumeInTransaction: false }),
      squawkVersion(),
    ]);
    const findings = [...inTx, ...outside];
    // The tables a finding is on, and whether PostgreSQL's parser rejects what squawk could not read.
    if (findings.length) await loadParser();
    for (const f of findings) {
      const p = byFile.get(f.file);
      if (p) place(p, f);
    }
    const patches = prepared.map((p) => p.lint);
    const all = patches.flatMap((p) => p.findings);
    return {
      squawkVersion: version,
      statementLockTimeoutMs: options.statementLockTimeoutMs || null,
      patches,
      errors: all.filter((f) => f.level === 'error').length + patches.filter((p) => p.mode === 'refused').length,
      warnings: all.filter((f) => f.level === 'warning').length,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What migrate sends before a patch when it has a statement lock timeout, as squawk reads it (SET LOCAL in a transaction, SET outside one: the same to squawk). */
function lockTimeoutLine(ms: number): string {
  return `set lock_timeout = '${Math.round(ms)}ms';`;
}

async function prepare(patch: PatchFile, compile: CompileOptions | undefined, squawkFile: string, first?: string): Promise<Prepared> {
  const lint: PatchLint = { name: patch.name, path: patch.path, mode: 'refused', reason: '', findings: [], ignored: [] };
  const prepared: Prepared = { lint, statements: [], ignoreFile: new Map() };
  let compiled;
  try {
    compiled = compileScript(patch.path, compile);
    // The directive `-- pgpatch: no-transaction` is read from the patch file itself, as migrate does.
    const plan = await planTransaction(patch.name, readFileSync(patch.path, 'utf8'), compiled.steps);
    lint.mode = plan.mode;
    lint.reason = plan.reason;
  } catch (e) {
    if (!(e instanceof PgpatchError)) throw e;
    lint.reason = e.message;
    return prepared;
  }
  const out: string[] = first ? [first] : [];
  let genLine = out.length;
  for (const step of compiled.steps) {
    if (step.kind !== 'sql' && step.kind !== 'copy') continue;
    const at = step.file.locate(step.start);
    const ignores = ignoreCommentsAbove(step.file.text, step.start);
    out.push(...ignores);
    genLine += ignores.length;
    const text = step.kind === 'sql' ? step.text : `${step.sql};`;
    const lines = text.split('\n').length;
    prepared.statements.push({ genLine, lines, step, text, at });
    out.push(text);
    genLine += lines;
  }
  for (const file of compiled.files) {
    const rules = fileIgnores(file);
    if (rules) prepared.ignoreFile.set(file, rules);
  }
  prepared.squawkText = out.join('\n') + '\n';
  prepared.squawkFile = squawkFile;
  return prepared;
}

/** Puts one squawk finding where its statement came from, or among the ignored. */
function place(p: Prepared, f: SquawkFinding): void {
  const index = p.statements.findIndex((s) => f.line >= s.genLine && f.line < s.genLine + s.lines);
  const s = p.statements[index] ?? p.statements[p.statements.length - 1];
  if (!s) return;
  const offset = Math.max(0, f.line - s.genLine);
  const location: SourceLocation = {
    file: s.at.file,
    line: s.at.line + offset,
    column: offset === 0 ? s.at.column + f.column : f.column + 1,
  };
  if (f.rule === 'syntax-error' && rejected(p, s)) return;
  if (f.rule === 'ban-char-field' && VARYING.test(p.squawkText?.split('\n')[f.line]?.slice(f.column) ?? '')) {
    p.lint.ignored.push({ rule: f.rule, location, why: 'character varying is not char(n)' });
    return;
  }
  const fileRules = p.ignoreFile.get(location.file);
  if (fileRules === 'all' || fileRules?.has(f.rule)) {
    p.lint.ignored.push({ rule: f.rule, location, why: 'squawk-ignore-file' });
    return;
  }
  if (f.rule !== 'syntax-error' && onCreatedTable(p.statements, index)) {
    p.lint.ignored.push({ rule: f.rule, location, why: 'table created by this patch' });
    return;
  }
  p.lint.findings.push({
    rule: f.rule,
    level: f.level === 'Error' ? 'warning' : 'error',
    message: f.level === 'Error' ? `squawk cannot read this statement (${f.message}); its rules were not checked` : f.message,
    help: TIMEOUT_RULES.has(f.rule) ? TIMEOUT_HELP : f.help,
    location,
    trace: s.step.trace,
  });
}

/**
 * A statement squawk could not read that PostgreSQL's parser rejects too: the server will, so it
 * is an error at the place the parser stopped (once per statement, whatever squawk said), that no
 * squawk-ignore comment hides. One the parser reads stays squawk's warning (squawk's own parser
 * lags behind PostgreSQL's). Limit: text squawk reads and PostgreSQL rejects is not seen here.
 */
function rejected(p: Prepared, s: Placed): boolean {
  if (s.step.kind !== 'sql') return false;
  const step = s.step;
  s.syntax ??= { problem: syntaxProblem(step.text) ?? null, reported: false };
  const { problem } = s.syntax;
  if (!problem) return false;
  if (s.syntax.reported) return true;
  s.syntax.reported = true;
  const at = problem.position === undefined ? step.start : mapToSource(step.segments, charIndexToOffset(step.text, problem.position));
  p.lint.findings.push({
    rule: 'syntax-error',
    level: 'error',
    message: `PostgreSQL's parser rejects this statement: ${problem.message}`,
    help: 'the server would reject it too: migrate stops there',
    location: step.file.locate(at),
    trace: step.trace,
  });
  return true;
}

/**
 * squawk 2.61 to 2.63 report ban-char-field on `character varying` (the varchar(n) adopt and
 * makemigrations write for Django's CharField), pointing at its `character`; 2.64 fixed it, but
 * the releases after it could not be taken (2.66 panics on a malformed WITH; the registry lacks
 * other platforms' 2.64/2.65 binaries for the lockfile). Such a finding is left out (listed with
 * --verbose); `character(n)` and `char(n)` still are one.
 */
const VARYING = /^(character|char|national\s+character|nchar)\s+varying\b/i;

const TIMEOUT_RULES = new Set(['require-lock-timeout', 'require-statement-timeout', 'require-timeout-settings']);
const TIMEOUT_HELP =
  'give migrate a statement lock timeout (--statement-lock-timeout 5s, or PGPATCH_STATEMENT_LOCK_TIMEOUT=5s where migrate and lint run): ' +
  'migrate then sets lock_timeout for the patch statements, and lint counts it';

const CREATES_TABLE = /\bcreate\b[\s\S]*\btable\b/i;

/** Whether every table the statement acts on was created earlier in the same patch. */
function onCreatedTable(statements: Placed[], index: number): boolean {
  if (index < 0) return false;
  const tablesOf = (s: Placed) => (s.tables ??= statementTables(s.text));
  const acts = tablesOf(statements[index]).acts;
  if (acts.length === 0) return false;
  const created: RelationName[] = [];
  for (const s of statements.slice(0, index)) {
    if (!CREATES_TABLE.test(s.text)) continue;
    const c = tablesOf(s).creates;
    if (c) created.push(c);
  }
  const same = (a: RelationName, b: RelationName) => a.name === b.name && (!a.schema || !b.schema || a.schema === b.schema);
  return acts.every((a) => created.some((c) => same(a, c)));
}
