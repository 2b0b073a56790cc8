/**
 * The one module that runs squawk (npm `squawk-cli`), the linter for lock hazards. The binary
 * comes from squawk-cli's per-platform optional package (`@squawk-cli/linux-x64` ...), so
 * `npm ci` installs it with no install script and no download outside the npm registry; we
 * ask squawk-cli's own resolver for its path and run it directly, without its node wrapper.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EXIT, PgpatchError } from '../errors';

/** squawk cannot run: its platform package is missing, or it crashed. */
export class SquawkError extends PgpatchError {
  readonly code = 'squawk';
  readonly exitCode = EXIT.internal;
  constructor(readonly reason: string) {
    super(`squawk: ${reason}`, { hint: 'reinstall with optional dependencies: npm ci --include=optional' });
  }
}

export interface SquawkFinding {
  /** The path squawk was given. */
  file: string;
  /** 0-based, as squawk reports them. */
  line: number;
  column: number;
  lineEnd: number;
  columnEnd: number;
  /** squawk reports every rule as `Warning`; `Error` is for SQL its parser cannot read. */
  level: 'Warning' | 'Error';
  rule: string;
  message: string;
  help: string | null;
}

export interface SquawkOptions {
  /** Tell squawk that each file runs inside a transaction the tool adds. */
  assumeInTransaction: boolean;
  exclude?: string[];
  include?: string[];
  /** squawk's own `.squawk.toml`; our flags above override its `assume_in_transaction`. */
  configFile?: string;
  pgVersion?: string;
}

let binary: string | undefined;

export function squawkBinary(): string {
  if (binary) return binary;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    binary = (require('squawk-cli/js/index.js') as { getBinaryPath(): string }).getBinaryPath();
  } catch (e) {
    throw new SquawkError((e as Error).message.split('\n')[0]);
  }
  return binary;
}

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(squawkBinary(), args, { maxBuffer: 512 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      if (code === -1) reject(new SquawkError((error as Error).message));
      else resolve({ code, stdout, stderr });
    });
  });
}

export async function squawkVersion(): Promise<string> {
  const { stdout } = await run(['--version']);
  return stdout.trim().replace(/^squawk\s+/, '');
}

/** Lints the files in one run of squawk (one process for a thousand files). */
export async function runSquawk(paths: string[], options: SquawkOptions): Promise<SquawkFinding[]> {
  if (paths.length === 0) return [];
  const args = ['--reporter', 'json', options.assumeInTransaction ? '--assume-in-transaction' : '--no-assume-in-transaction'];
  if (options.configFile) args.push('--config', options.configFile);
  // squawk's --exclude replaces the config's excluded_rules; ours adds to them.
  const exclude = [...new Set([...(options.configFile ? configExcludedRules(options.configFile) : []), ...(options.exclude ?? [])])];
  if (options.exclude?.length) args.push(`--exclude=${exclude.join(',')}`);
  if (options.include?.length) args.push(`--include=${options.include.join(',')}`);
  if (options.pgVersion) args.push(`--pg-version=${options.pgVersion}`);
  const { code, stdout, stderr } = await run([...args, ...paths]);
  let raw: Array<Record<string, unknown>>;
  try {
    raw = JSON.parse(stdout || '[]');
  } catch {
    throw new SquawkError(`exit status ${code}: ${(stderr || stdout).trim().split('\n')[0] ?? 'no output'}`);
  }
  return raw.map((f) => ({
    file: String(f.file),
    line: Number(f.line),
    column: Number(f.column),
    lineEnd: Number(f.line_end ?? f.line),
    columnEnd: Number(f.column_end ?? f.column),
    level: f.level === 'Error' ? 'Error' : 'Warning',
    rule: String(f.rule_name),
    message: String(f.message),
    help: typeof f.help === 'string' ? f.help : null,
  }));
}

/**
 * `excluded_rules = [...]` of a `.squawk.toml`. Only that key is read here (a one-line or
 * multi-line array of strings); squawk reads the rest of the file itself.
 */
export function configExcludedRules(configFile: string): string[] {
  const m = /^\s*excluded_rules\s*=\s*\[([^\]]*)\]/m.exec(readFileSync(configFile, 'utf8'));
  return m ? [...m[1].matchAll(/["']([^"']+)["']/g)].map((x) => x[1]) : [];
}

/** Where squawk's settings live in a project: its root, beside the schema folder. */
export const SQUAWK_CONFIG_FILE = '.squawk.toml';

/** The `.squawk.toml` init and adopt write: squawk's rules, minus those that are noise for a pgpatch project (see the file). */
export const PROJECT_SQUAWK_CONFIG = resolve(__dirname, '..', '..', 'templates', 'squawk.toml');

/**
 * Writes the project's `.squawk.toml` unless it has one (a team's own settings are never
 * overwritten). Returns its path and whether it was there already; `dryRun` writes nothing.
 */
export function writeProjectSquawkConfig(projectDir: string, dryRun = false): { path: string; existed: boolean } {
  const path = join(projectDir, SQUAWK_CONFIG_FILE);
  if (existsSync(path)) return { path, existed: true };
  if (!dryRun) writeFileSync(path, readFileSync(PROJECT_SQUAWK_CONFIG), { flag: 'wx' });
  return { path, existed: false };
}
