/**
 * Splits a psql script into statements and backslash commands by psql's own rules
 * (src/bin/psql/psqlscan.l): quotes, E'' strings, dollar quoting, quoted identifiers,
 * nested comments, parentheses, `BEGIN ATOMIC ... END` bodies, and `:var` interpolation.
 *
 * Limits, stated so nobody is surprised:
 * - A variable's value is inserted as is and not scanned again (psql re-scans it and splits at a
 *   `;` in it). The statement then holds the `;`, and the server runs both parts, as one implicit
 *   transaction: same result as psql unless the second part fails.
 * - `standard_conforming_strings` is taken as given by the caller for the whole file.
 */
import type { Variables } from './variables';
import { quoteIdentAlways, quoteLiteral } from '../../quote';

export interface Segment {
  /** Offset in the statement text where this segment starts. */
  out: number;
  /** Offset in the source file it came from. */
  src: number;
  /** False for an interpolated variable: every offset in it maps to the `:` that named it. */
  verbatim: boolean;
}

export interface SqlItem {
  kind: 'sql';
  text: string;
  /** Source offset of the statement's first character. */
  start: number;
  segments: Segment[];
}

export interface MetaItem {
  kind: 'meta';
  name: string;
  /** Arguments split and unquoted as psql does, variables interpolated. */
  args: string[];
  /** The rest of the line after the command name as written (for `\copy`). */
  rest: string;
  /** Source offset of the backslash. */
  start: number;
}

export type Item = SqlItem | MetaItem;

const enum C {
  TAB = 9,
  LF = 10,
  CR = 13,
  SPACE = 32,
  DQUOTE = 34,
  DOLLAR = 36,
  SQUOTE = 39,
  LPAREN = 40,
  RPAREN = 41,
  STAR = 42,
  DASH = 45,
  SLASH = 47,
  D0 = 48,
  D9 = 57,
  COLON = 58,
  SEMI = 59,
  QUESTION = 63,
  A = 65,
  Z = 90,
  BACKSLASH = 92,
  UNDERSCORE = 95,
  BACKTICK = 96,
  a = 97,
  z = 122,
  LBRACE = 123,
  RBRACE = 125,
}

function isSpace(c: number): boolean {
  return c === C.SPACE || c === C.TAB || c === C.LF || c === C.CR || c === 11 || c === 12;
}
function isIdentStart(c: number): boolean {
  return (c >= C.a && c <= C.z) || (c >= C.A && c <= C.Z) || c === C.UNDERSCORE || c >= 128;
}
function isIdentCont(c: number): boolean {
  return isIdentStart(c) || (c >= C.D0 && c <= C.D9) || c === C.DOLLAR;
}
/** psql's variable names: letters, digits, underscore (and any non-ASCII). */
function isVarChar(c: number): boolean {
  return (c >= C.a && c <= C.z) || (c >= C.A && c <= C.Z) || (c >= C.D0 && c <= C.D9) || c === C.UNDERSCORE || c >= 128;
}

export interface LexerOptions {
  standardConformingStrings?: boolean;
}

export class ScriptLexer {
  private pos = 0;
  private readonly scs: boolean;
  // State of the statement being collected.
  private pieces: string[] = [];
  private segments: Segment[] = [];
  private outLen = 0;
  private runStart = -1;
  private stmtStart = -1;
  private parenDepth = 0;
  private beginDepth = 0;
  /** Whether the statement holds more than comments and semicolons. */
  private hasToken = false;
  private identifierCount = 0;
  private identifiers = ['', '', '', ''];

  /** Offset of the last backslash command read, for errors raised while reading its arguments. */
  metaStart = 0;
  /** Text to step over when the lexer reaches it: the inline data of a `COPY ... FROM stdin`. */
  private holeStart = -1;
  private holeEnd = -1;

  constructor(
    readonly text: string,
    private readonly vars: Variables,
    options: LexerOptions = {},
  ) {
    this.scs = options.standardConformingStrings ?? true;
  }

  /** The next statement or backslash command, or null at the end of the text. */
  next(): Item | null {
    const s = this.text;
    const n = s.length;
    while (this.pos < n) {
      if (this.holeStart >= 0 && this.pos >= this.holeStart) {
        this.jumpHole();
        continue;
      }
      const c = s.charCodeAt(this.pos);
      if (this.stmtStart < 0) {
        // psql drops whitespace and `--` comments before a statement starts.
        if (isSpace(c)) {
          this.pos++;
          continue;
        }
        if (c === C.DASH && s.charCodeAt(this.pos + 1) === C.DASH) {
          this.skipLineComment();
          continue;
        }
        if (c === C.BACKSLASH) return this.meta();
        this.beginStatement();
      }
      if (isSpace(c)) {
        this.pos++;
        continue;
      }
      if (c === C.DASH && s.charCodeAt(this.pos + 1) === C.DASH) {
        this.skipLineComment();
        continue;
      }
      if (c === C.SLASH && s.charCodeAt(this.pos + 1) === C.STAR) {
        this.skipBlockComment();
        continue;
      }
      if (c === C.SEMI) {
        this.pos++;
        if (this.parenDepth === 0 && this.beginDepth === 0) {
          const item = this.endStatement();
          if (item) return item;
        }
        continue;
      }
      // Checked after `;` so that `;;` (or `/* c */ ;`) is an empty statement that is not sent.
      this.hasToken = true;
      if (c === C.SQUOTE) {
        this.skipString(!this.scs);
        continue;
      }
      if (c === C.DQUOTE) {
        this.skipQuoted(C.DQUOTE, false);
        continue;
      }
      if (c === C.DOLLAR) {
        this.dollar();
        continue;
      }
      if (c === C.COLON) {
        this.colon();
        continue;
      }
      if (c === C.BACKSLASH) {
        // A backslash command in the middle of a statement: psql runs it and keeps the buffer.
        this.flushRun();
        return this.meta();
      }
      if (c === C.LPAREN) {
        this.parenDepth++;
        this.pos++;
        continue;
      }
      if (c === C.RPAREN) {
        if (this.parenDepth > 0) this.parenDepth--;
        this.pos++;
        continue;
      }
      if (isIdentStart(c)) {
        this.identifier();
        continue;
      }
      if (c >= C.D0 && c <= C.D9) {
        // Numbers, including 1e10 and 0x1F: consume so that their letters are not identifiers.
        this.pos++;
        while (this.pos < n && isIdentCont(s.charCodeAt(this.pos))) this.pos++;
        continue;
      }
      this.pos++;
    }
    if (this.stmtStart >= 0) {
      const item = this.endStatement();
      if (item) return item;
    }
    return null;
  }

  /** Where the statement or backslash command just returned ends (the next offset to read). */
  get position(): number {
    return this.pos;
  }

  /**
   * Steps over [from, to) when the lexer gets there. psql reads a `COPY ... FROM stdin`'s data
   * from the script itself, from the line after the one that ended the statement, and goes on
   * lexing the rest of that line before the data and the text after it. Limit: a string or a
   * comment that starts on that rest of line and runs into the data is not cut at the data.
   */
  skip(from: number, to: number): void {
    this.holeStart = from;
    this.holeEnd = to;
  }

  private jumpHole(): void {
    if (this.pos < this.holeEnd) {
      if (this.stmtStart >= 0) this.flushRun();
      this.pos = this.holeEnd;
      if (this.stmtStart >= 0) this.runStart = this.pos;
    }
    this.holeStart = this.holeEnd = -1;
  }

  /** Ends the statement being collected, as `\g` does. */
  endStatementNow(): SqlItem | null {
    return this.stmtStart >= 0 ? this.endStatement() : null;
  }

  private beginStatement(): void {
    this.stmtStart = this.pos;
    if (this.runStart < 0) this.runStart = this.pos;
  }

  private flushRun(): void {
    if (this.runStart < 0 || this.runStart === this.pos) {
      this.runStart = -1;
      return;
    }
    const piece = this.text.slice(this.runStart, this.pos);
    const last = this.segments[this.segments.length - 1];
    if (!last || !last.verbatim || last.src + (this.outLen - last.out) !== this.runStart) {
      this.segments.push({ out: this.outLen, src: this.runStart, verbatim: true });
    }
    this.pieces.push(piece);
    this.outLen += piece.length;
    this.runStart = -1;
  }

  private insert(value: string, srcOffset: number): void {
    this.flushRun();
    this.segments.push({ out: this.outLen, src: srcOffset, verbatim: false });
    this.pieces.push(value);
    this.outLen += value.length;
  }

  private endStatement(): SqlItem | null {
    this.flushRun();
    const text = this.pieces.length === 1 ? this.pieces[0] : this.pieces.join('');
    const hasToken = this.hasToken;
    const item: SqlItem = { kind: 'sql', text, start: this.stmtStart, segments: this.segments };
    this.hasToken = false;
    this.pieces = [];
    this.segments = [];
    this.outLen = 0;
    this.stmtStart = -1;
    this.parenDepth = 0;
    this.beginDepth = 0;
    this.identifierCount = 0;
    const ids = this.identifiers;
    ids[0] = ids[1] = ids[2] = ids[3] = '';
    // A lone `;` (or only comments) is an empty query: psql sends it, the server ignores it.
    return hasToken ? item : null;
  }

  private skipLineComment(): void {
    const end = this.text.indexOf('\n', this.pos);
    this.pos = end < 0 ? this.text.length : end + 1;
  }

  private skipBlockComment(): void {
    const s = this.text;
    let depth = 0;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c === C.SLASH && s.charCodeAt(this.pos + 1) === C.STAR) {
        depth++;
        this.pos += 2;
        continue;
      }
      if (c === C.STAR && s.charCodeAt(this.pos + 1) === C.SLASH) {
        depth--;
        this.pos += 2;
        if (depth === 0) return;
        continue;
      }
      this.pos++;
    }
  }

  /** '...' with '' as a quote; with backslash escapes when E'' or standard_conforming_strings is off. */
  private skipString(backslashEscapes: boolean): void {
    this.skipQuoted(C.SQUOTE, backslashEscapes);
  }

  private skipQuoted(quote: number, backslashEscapes: boolean): void {
    const s = this.text;
    this.pos++;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (backslashEscapes && c === C.BACKSLASH) {
        this.pos += 2;
        continue;
      }
      if (c === quote) {
        if (s.charCodeAt(this.pos + 1) === quote) {
          this.pos += 2;
          continue;
        }
        this.pos++;
        return;
      }
      this.pos++;
    }
  }

  private dollar(): void {
    const s = this.text;
    const start = this.pos;
    let i = start + 1;
    if (s.charCodeAt(i) >= C.D0 && s.charCodeAt(i) <= C.D9) {
      // $1: a parameter, not a quote.
      while (i < s.length && s.charCodeAt(i) >= C.D0 && s.charCodeAt(i) <= C.D9) i++;
      this.pos = i;
      return;
    }
    if (isIdentStart(s.charCodeAt(i))) {
      while (i < s.length && (isIdentStart(s.charCodeAt(i)) || (s.charCodeAt(i) >= C.D0 && s.charCodeAt(i) <= C.D9))) i++;
    }
    if (s.charCodeAt(i) !== C.DOLLAR) {
      this.pos = start + 1;
      return;
    }
    const tag = s.slice(start, i + 1);
    const close = s.indexOf(tag, i + 1);
    // Unterminated: psql sends the rest at end of file and the server reports it.
    this.pos = close < 0 ? s.length : close + tag.length;
  }

  private identifier(): void {
    const s = this.text;
    const start = this.pos;
    let i = start + 1;
    while (i < s.length && isIdentCont(s.charCodeAt(i))) i++;
    const next = s.charCodeAt(i);
    if (i === start + 1 && next === C.SQUOTE) {
      const c = s.charCodeAt(start) | 0x20;
      this.pos = i;
      // E'...' has backslash escapes; B'', X'', N'' are plain strings.
      this.skipString(c === 0x65 || !this.scs);
      return;
    }
    this.pos = i;
    this.trackBeginAtomic(start, i);
  }

  /**
   * psql's heuristic for `CREATE [OR REPLACE] {FUNCTION|PROCEDURE} ... BEGIN ATOMIC ... END`.
   * The word is lower-cased only when it can matter (it runs for every identifier of the file).
   */
  private trackBeginAtomic(start: number, end: number): void {
    const ids = this.identifiers;
    const len = end - start;
    let word: string | undefined;
    if (this.identifierCount < 4 && len >= 2 && len <= 9) {
      word = this.text.slice(start, end).toLowerCase();
      if (word === 'create' || word === 'function' || word === 'procedure' || word === 'or' || word === 'replace') {
        ids[this.identifierCount] = word[0];
      }
    }
    this.identifierCount++;
    if (len < 3 || len > 5 || this.parenDepth !== 0) return;
    const inRoutine =
      ids[0] === 'c' && (ids[1] === 'f' || ids[1] === 'p' || (ids[1] === 'o' && ids[2] === 'r' && (ids[3] === 'f' || ids[3] === 'p')));
    if (!inRoutine) return;
    word ??= this.text.slice(start, end).toLowerCase();
    if (word === 'begin') this.beginDepth++;
    else if (word === 'case') {
      if (this.beginDepth >= 1) this.beginDepth++;
    } else if (word === 'end') {
      if (this.beginDepth > 0) this.beginDepth--;
    }
  }

  /** `::`, `:name`, `:'name'`, `:"name"`, `:{?name}`; anything else is a plain colon. */
  private colon(): void {
    const s = this.text;
    const start = this.pos;
    const c1 = s.charCodeAt(start + 1);
    if (c1 === C.COLON) {
      this.pos += 2;
      return;
    }
    const ref = readVariableReference(s, start, this.vars);
    if (!ref) {
      this.pos++;
      return;
    }
    this.insert(ref.value, start);
    this.pos = ref.end;
    this.runStart = this.pos;
  }

  /** A backslash command: name, then arguments up to the end of the line or `\\`. */
  private meta(): MetaItem {
    const s = this.text;
    const start = this.pos;
    this.metaStart = start;
    let i = start + 1;
    while (i < s.length && !isSpace(s.charCodeAt(i)) && s.charCodeAt(i) !== C.BACKSLASH) i++;
    // `\\` alone is psql's separator between backslash commands on one line.
    const name = s.slice(start + 1, i);
    let end = i;
    // Inside '...' (where \\ is an escaped backslash) or "...", `\\` does not end the command.
    let quote = 0;
    while (end < s.length && s.charCodeAt(end) !== C.LF) {
      const c = s.charCodeAt(end);
      if (quote !== 0) {
        if (quote === C.SQUOTE && c === C.BACKSLASH && s.charCodeAt(end + 1) !== C.LF) {
          end += 2;
          continue;
        }
        if (c === quote) quote = 0;
      } else if (c === C.SQUOTE || c === C.DQUOTE) {
        quote = c;
      } else if (c === C.BACKSLASH && s.charCodeAt(end + 1) === C.BACKSLASH) {
        break;
      }
      end++;
    }
    if (end > s.length) end = s.length;
    const line = s.slice(i, end);
    this.pos = end < s.length && s.charCodeAt(end) === C.BACKSLASH ? end + 2 : end;
    if (this.stmtStart >= 0) this.runStart = this.pos;
    const { args, rest } = splitMetaArgs(line, this.vars);
    return { kind: 'meta', name, args, rest, start };
  }
}

interface VariableReference {
  value: string;
  end: number;
}

function readVariableReference(s: string, start: number, vars: Variables): VariableReference | null {
  const c1 = s.charCodeAt(start + 1);
  if (c1 === C.SQUOTE || c1 === C.DQUOTE) {
    let i = start + 2;
    while (i < s.length && isVarChar(s.charCodeAt(i))) i++;
    if (i === start + 2 || s.charCodeAt(i) !== c1) return null;
    const value = vars.get(s.slice(start + 2, i));
    if (value === undefined) return null;
    return { value: c1 === C.SQUOTE ? quoteLiteral(value) : quoteIdentAlways(value), end: i + 1 };
  }
  if (c1 === C.LBRACE && s.charCodeAt(start + 2) === C.QUESTION) {
    let i = start + 3;
    while (i < s.length && isVarChar(s.charCodeAt(i))) i++;
    if (i === start + 3 || s.charCodeAt(i) !== C.RBRACE) return null;
    return { value: vars.get(s.slice(start + 3, i)) === undefined ? 'FALSE' : 'TRUE', end: i + 1 };
  }
  let i = start + 1;
  while (i < s.length && isVarChar(s.charCodeAt(i))) i++;
  if (i === start + 1) return null;
  const value = vars.get(s.slice(start + 1, i));
  // psql leaves a reference to an unset variable in the text as written.
  if (value === undefined) return null;
  return { value, end: i };
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', b: '\b', r: '\r', f: '\f' };

/**
 * Splits backslash-command arguments as psql does for OT_NORMAL: whitespace separates,
 * '...' quotes (with '' and \n-style escapes), :var / :'var' interpolate, "..." is kept.
 */
export function splitMetaArgs(line: string, vars: Variables): { args: string[]; rest: string } {
  const args: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && isSpace(line.charCodeAt(i))) i++;
    if (i >= line.length) break;
    let arg = '';
    while (i < line.length && !isSpace(line.charCodeAt(i))) {
      const c = line.charCodeAt(i);
      if (c === C.SQUOTE) {
        i++;
        while (i < line.length) {
          const d = line[i];
          if (d === "'") {
            if (line[i + 1] === "'") {
              arg += "'";
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (d === '\\' && i + 1 < line.length) {
            const e = line[i + 1];
            arg += ESCAPES[e] ?? e;
            i += 2;
            continue;
          }
          arg += d;
          i++;
        }
        continue;
      }
      if (c === C.DQUOTE) {
        const close = line.indexOf('"', i + 1);
        const end = close < 0 ? line.length : close + 1;
        arg += line.slice(i, end);
        i = end;
        continue;
      }
      if (c === C.BACKTICK) {
        // Shell commands in backticks are refused by the caller through this marker.
        throw new BacktickError();
      }
      if (c === C.COLON) {
        const ref = readVariableReference(line, i, vars);
        if (ref) {
          arg += ref.value;
          i = ref.end;
          continue;
        }
      }
      arg += line[i++];
    }
    args.push(arg);
  }
  // `rest` is the whole line as written, as psql gives it to `\copy` (no interpolation).
  return { args, rest: line.trim() };
}

export class BacktickError extends Error {
  constructor() {
    super('backtick shell commands are not supported');
  }
}
