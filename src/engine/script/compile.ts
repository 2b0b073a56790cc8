/**
 * Turns a psql script and everything it includes into a flat list of steps, before anything
 * runs: a missing include or an unsupported backslash command is found while the database is
 * still untouched (psql would have run everything before it).
 *
 * Includes: `\i` / `\include` resolve against `includeRoot` (default: the entry file's folder,
 * as if psql were started there), `\ir` / `\include_relative` against the including file.
 */
import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { IncludeCycleError, MetaCommandError, type SourceLocation } from '../../errors';
import { BacktickError, ScriptLexer, type Segment, type SqlItem } from './lexer';
import { readScript, type ScriptFile } from './source';
import { isValidVariableName, Variables } from './variables';

export interface SqlStep {
  kind: 'sql';
  text: string;
  file: ScriptFile;
  /** Offset of the statement in its file. */
  start: number;
  segments: Segment[];
  /** The `\i` lines that led to this file, outermost first. */
  trace: SourceLocation[];
}

export interface EchoStep {
  kind: 'echo';
  text: string;
  stream: 'stdout' | 'stderr';
}

export interface CopyStep {
  kind: 'copy';
  /** `COPY ... FROM STDIN ...` as sent to the server. */
  sql: string;
  /** `\copy ... from 'file'`: the data file, resolved against the folder of the script that names it. */
  dataFile?: string;
  /** `COPY ... FROM stdin;` with its data in the script: the lines up to `\.`, and where they start. */
  inline?: { text: string; start: number };
  file: ScriptFile;
  start: number;
  trace: SourceLocation[];
}

/** Something psql would warn about and go on (an extra argument to \i, say). */
export interface WarningStep {
  kind: 'warning';
  message: string;
  location: SourceLocation;
}

export type Step = SqlStep | EchoStep | CopyStep | WarningStep;

export interface CompileOptions {
  /** Folder that `\i` paths are relative to. Default: the entry file's folder. */
  includeRoot?: string;
  /** Initial variables, like `psql -v name=value`. */
  variables?: Record<string, string>;
  standardConformingStrings?: boolean;
}

export interface CompiledScript {
  entry: string;
  /** The entry file's bytes as read and compiled (migrate hashes these: what runs is what is recorded). */
  entryBytes: Buffer;
  steps: Step[];
  /** Every file read, entry first (a file included twice is here twice). */
  files: string[];
  /** The same files as read: what ran is these bytes (migrate's checksum of a patch covers them, see expansionChecksum). */
  sources: ScriptFile[];
}

export function compileScript(entry: string, options: CompileOptions = {}): CompiledScript {
  const entryPath = resolve(entry);
  const ctx: Context = {
    includeRoot: resolve(options.includeRoot ?? dirname(entryPath)),
    vars: new Variables(options.variables),
    scs: options.standardConformingStrings ?? true,
    steps: [],
    files: [],
    sources: [],
    quit: false,
    realPaths: new Map(),
  };
  const file = readScript(entryPath);
  compileFile(ctx, file, [], [entryPath]);
  return { entry: entryPath, entryBytes: file.bytes, steps: ctx.steps, files: ctx.files, sources: ctx.sources };
}

interface Context {
  includeRoot: string;
  vars: Variables;
  scs: boolean;
  steps: Step[];
  files: string[];
  sources: ScriptFile[];
  quit: boolean;
  /** The key of psql's `\restrict` while it is in force (pg_dump's output starts with one). */
  restrictKey?: string;
  /**
   * Real paths of the files being included, resolved only when a file includes another (to
   * find cycles): realpathSync of each of 1,000 patches, which include nothing, was ~40 ms of a
   * migrate.
   */
  realPaths: Map<string, string>;
}

function realPathOf(ctx: Context, path: string): string {
  let real = ctx.realPaths.get(path);
  if (real === undefined) ctx.realPaths.set(path, (real = realpathSync(path)));
  return real;
}

const INCLUDE = new Set(['i', 'include', 'ir', 'include_relative']);

/**
 * How deep includes may nest. psql has no limit of its own, but keeps every including file open,
 * so it stops at the open-files limit (often 1,024). Real schemas nest a handful deep; 100 keeps
 * the compiler's recursion far from the stack's end and a runaway chain short to report.
 */
export const MAX_INCLUDE_DEPTH = 100;

/** `stack`: the paths of the files including this one and of this one, outermost first. */
function compileFile(ctx: Context, file: ScriptFile, trace: SourceLocation[], stack: string[]): void {
  ctx.files.push(file.path);
  ctx.sources.push(file);
  const lexer = new ScriptLexer(file.text, ctx.vars, { standardConformingStrings: ctx.scs });
  for (;;) {
    let item;
    try {
      item = lexer.next();
    } catch (e) {
      if (e instanceof BacktickError) {
        throw new MetaCommandError('`', e.message, file.locate(lexer.metaStart), trace);
      }
      throw e;
    }
    if (!item) return;
    if (item.kind === 'sql') {
      ctx.steps.push(statementStep(lexer, item, file, trace));
      continue;
    }
    const here = file.locate(item.start);
    const fail = (reason: string): never => {
      throw new MetaCommandError(item.name, reason, here, trace);
    };
    const { name, args } = item;
    if (name === 'restrict' || name === 'unrestrict' || ctx.restrictKey !== undefined) {
      restrict(ctx, name, args, here, fail);
    } else if (INCLUDE.has(name)) {
      if (args.length === 0) fail('missing file name');
      // psql warns and goes on; the reference's own layout has `\i file.sql -- comment`.
      for (const extra of args.slice(1)) {
        ctx.steps.push({ kind: 'warning', message: `\\${name}: extra argument "${extra}" ignored`, location: here });
      }
      const base = name.startsWith('ir') || name === 'include_relative' ? dirname(file.path) : ctx.includeRoot;
      const target = isAbsolute(args[0]) ? args[0] : resolve(base, args[0]);
      if (trace.length >= MAX_INCLUDE_DEPTH)
        fail(`includes nested more than ${MAX_INCLUDE_DEPTH} deep (is it a cycle through different paths?)`);
      const included = readScript(target, here, trace, { regularOnly: true });
      const real = realPathOf(ctx, target);
      const includeTrace = [...trace, here];
      if (stack.some((p) => realPathOf(ctx, p) === real)) throw new IncludeCycleError(target, includeTrace);
      compileFile(ctx, included, includeTrace, [...stack, target]);
      if (ctx.quit) return;
    } else if (name === 'set') {
      if (args.length === 0) fail('listing variables is not supported; give a name');
      if (!isValidVariableName(args[0])) fail(`invalid variable name "${args[0]}"`);
      ctx.vars.set(args[0], args.slice(1).join(''));
    } else if (name === 'unset') {
      if (args.length !== 1) fail('takes one variable name');
      ctx.vars.unset(args[0]);
    } else if (name === 'echo' || name === 'qecho' || name === 'warn') {
      ctx.steps.push({ kind: 'echo', text: args.join(' '), stream: name === 'warn' ? 'stderr' : 'stdout' });
    } else if (name === 'copy') {
      const copy = compileCopy(item.rest, file, item.start, trace, fail);
      // `\copy ... from stdin` in a script reads the rows from the script, as COPY FROM stdin does.
      ctx.steps.push(copy.dataFile === undefined ? inlineCopy(lexer, copy.sql, file, item.start, trace) : copy);
    } else if (name === 'g' || name === 'g;') {
      if (args.length) fail('\\g with arguments is not supported; end the statement with ;');
      const stmt = lexer.endStatementNow();
      if (stmt) ctx.steps.push(statementStep(lexer, stmt, file, trace));
    } else if (name === 'q' || name === 'quit') {
      ctx.quit = true;
      return;
    } else {
      fail(
        `not supported by pgpatch (supported: \\i \\ir \\include \\include_relative \\set \\unset \\echo \\qecho \\warn \\copy ... from \\g \\q \\restrict \\unrestrict)`,
      );
    }
  }
}

/** A statement, or a `COPY ... FROM stdin` with the rows that follow it in the script. */
function statementStep(lexer: ScriptLexer, stmt: SqlItem, file: ScriptFile, trace: SourceLocation[]): SqlStep | CopyStep {
  if (isCopyFromStdin(stmt.text)) return inlineCopy(lexer, stmt.text, file, stmt.start, trace);
  return { kind: 'sql', text: stmt.text, file, start: stmt.start, segments: stmt.segments, trace };
}

/**
 * psql's restricted mode (17.6, 16.10, 15.14 ... and 18): pg_dump writes `\restrict KEY` at the
 * top of a dump and `\unrestrict KEY` at the end, so that a dump cannot run backslash commands a
 * hostile server slipped into it. In between, every other backslash command is refused, with
 * psql's messages. The key is not checked for form: psql does not either.
 */
function restrict(ctx: Context, name: string, args: string[], here: SourceLocation, fail: (reason: string) => never): void {
  if (name !== 'restrict' && name !== 'unrestrict') fail('backslash commands are restricted; only \\unrestrict is allowed');
  if (name === 'restrict' && ctx.restrictKey !== undefined) fail('backslash commands are restricted; only \\unrestrict is allowed');
  if (args.length === 0) fail('missing required argument');
  for (const extra of args.slice(1)) {
    ctx.steps.push({ kind: 'warning', message: `\\${name}: extra argument "${extra}" ignored`, location: here });
  }
  if (name === 'restrict') {
    ctx.restrictKey = args[0];
    return;
  }
  if (ctx.restrictKey === undefined) fail('not currently in restricted mode');
  if (ctx.restrictKey !== args[0]) fail('wrong key');
  ctx.restrictKey = undefined;
}

/**
 * `\copy table [(columns)] from 'file' [with] (options)` becomes `COPY ... FROM STDIN ...` fed
 * from the file. Only `from` a file: a schema script has no business writing files.
 */
function compileCopy(rest: string, file: ScriptFile, start: number, trace: SourceLocation[], fail: (r: string) => never): CopyStep {
  const m = /^([\s\S]*?)\s+from\s+('(?:[^']|'')*'|[^\s;]+)([\s\S]*)$/i.exec(rest);
  if (!m) fail(/\sto\s/i.test(rest) ? 'only \\copy ... from a file is supported' : "expected \\copy table from 'file' ...");
  const [, table, rawSource, options] = m!;
  const source = rawSource.startsWith("'") ? rawSource.slice(1, -1).replace(/''/g, "'") : rawSource;
  if (/^(pstdin|program)$/i.test(source))
    fail(`\\copy from ${source} is not supported; name a file, or give the rows in the script (from stdin)`);
  const sql = `COPY ${table.trim()} FROM STDIN ${options.trim().replace(/;\s*$/, '')}`.trim();
  if (/^stdin$/i.test(source)) return { kind: 'copy', sql, file, start, trace };
  const dataFile = isAbsolute(source) ? source : resolve(dirname(file.path), source);
  return { kind: 'copy', sql, dataFile, file, start, trace };
}

/**
 * Whether a statement is `COPY ... FROM STDIN`, from its text with strings, quoted names and
 * comments left out. psql does not look: it sends the statement and reads data when the server
 * asks for it. A statement this misses fails on the server ("no data"), not silently.
 */
export function isCopyFromStdin(sql: string): boolean {
  // Most statements are told apart by their first character (a statement starts with a token or
  // a /* comment): the regex costs ~0.4 µs per statement, 5 % of lexing a data load.
  const first = sql.charCodeAt(0);
  if ((first | 0x20) !== 0x63 && first !== 0x2f) return false;
  if (!/^(?:\s|\/\*[\s\S]*?\*\/)*copy\b/i.test(sql)) return false;
  const bare = sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\/\*[\s\S]*?\*\//g, ' ');
  return /\bfrom\s+stdin\b/i.test(bare);
}

/**
 * The data of a `COPY ... FROM stdin` in the script, as psql reads it: from the line after the
 * one the statement ended on, up to a line that is exactly `\.` (or the end of the file). The
 * lexer steps over it; the rest of the statement's line is still read as script, after the COPY.
 */
function inlineCopy(lexer: ScriptLexer, sql: string, file: ScriptFile, start: number, trace: SourceLocation[]): CopyStep {
  const text = file.text;
  const eol = text.indexOf('\n', lexer.position);
  const dataStart = eol < 0 ? text.length : eol + 1;
  let line = dataStart;
  let dataEnd = text.length;
  let resume = text.length;
  while (line < text.length) {
    const next = text.indexOf('\n', line);
    const lineEnd = next < 0 ? text.length : next;
    const content = text.slice(line, lineEnd);
    // As psql: only a whole line (with its line end) is the marker; a last line `\.` without
    // one goes to the server as data, which reads it as the end in text format.
    if (next >= 0 && (content === '\\.' || content === '\\.\r')) {
      dataEnd = line;
      resume = next < 0 ? text.length : next + 1;
      break;
    }
    line = lineEnd + 1;
  }
  lexer.skip(dataStart, resume);
  return { kind: 'copy', sql, inline: { text: text.slice(dataStart, dataEnd), start: dataStart }, file, start, trace };
}
