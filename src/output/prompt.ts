/** Questions at the terminal: the reference script's (Y)es, (n)o, (v)iew, (s)kip forever, (a)ll, (q)uit. */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Decision, PatchCopy, Question } from '../engine/migrate/types';
import type { NotEmpty } from '../engine/script/load';
import type { CheckResult } from '../engine/schema/check/check';
import { formatCheck } from './check';
import { displayPath } from './text';

export function isInteractive(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

// One interface for the whole run, with the lines typed ahead kept in order: answers piped in
// or typed before the question appears must not be lost.
let rl: ReturnType<typeof createInterface> | undefined;
const typedAhead: string[] = [];
let waiting: ((line: string | undefined) => void) | undefined;
let closed = false;

function open(): void {
  if (rl) return;
  rl = createInterface({ input: process.stdin, output: process.stderr, terminal: Boolean(process.stdin.isTTY) });
  rl.on('line', (line) => {
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      w(line);
    } else typedAhead.push(line);
  });
  rl.on('close', () => {
    closed = true;
    waiting?.(undefined);
    waiting = undefined;
  });
}

/** The answer, lower-cased; `q` when input has ended (Ctrl-D): stop rather than guess. */
async function ask(question: string): Promise<string> {
  open();
  process.stderr.write(question);
  const line = typedAhead.length ? typedAhead.shift() : closed ? undefined : await new Promise<string | undefined>((r) => (waiting = r));
  if (line === undefined) {
    process.stderr.write('\n');
    return 'q';
  }
  return line.trim().toLowerCase();
}

/** Lets the process exit: an open interface keeps stdin open. */
export function closePrompt(): void {
  rl?.close();
  rl = undefined;
}

export async function decide(q: Question): Promise<Decision> {
  const what = q.kind === 'patch' ? `apply patch ${q.patch.name}` : `run ${q.kind} script ${displayPath(q.script!)}`;
  for (;;) {
    const answer = await ask(`${what}? (Y)es, (n)o, (v)iew, (s)kip forever, (a)ll, (q)uit: `);
    switch (answer) {
      case '':
      case 'y':
      case 'yes':
        return 'yes';
      case 'n':
      case 'no':
        return 'no';
      case 's':
      case 'skip':
        return 'skip';
      case 'a':
      case 'all':
        return 'all';
      case 'q':
      case 'quit':
        return 'quit';
      case 'v':
      case 'view':
        process.stderr.write(readFileSync(q.script ?? q.patch.path, 'utf8') + '\n');
        continue;
      default:
        process.stderr.write('please answer y, n, v, s, a or q\n');
    }
  }
}

/** A patch with the content of another: run it all the same? Anything but yes refuses it (and the run stops before anything runs). */
export async function confirmCopy(copy: Omit<PatchCopy, 'allowedBy'>): Promise<boolean> {
  const twin = copy.copyOfState === 'pending' ? `${copy.copyOf}, which runs before it` : `${copy.copyOf}, which is ${copy.copyOfState}`;
  const answer = await ask(
    `patch ${copy.name} has the same content as ${twin}. Run it anyway? It runs the same SQL again (--allow-copy ${copy.name} says yes) (y/N): `,
  );
  return answer === 'y' || answer === 'yes';
}

/**
 * `comparison` is the database compared with the schema files (undefined when it could not be):
 * its differences are shown before the question, which then says so.
 */
export async function confirmBaseline(count: number, comparison?: CheckResult): Promise<boolean> {
  if (comparison && !comparison.ok)
    process.stderr.write(
      formatCheck(comparison, { strictFlag: false })
        .map((l) => `pgpatch: ${l}`)
        .join('\n') + '\n',
    );
  const differs =
    comparison && !comparison.ok
      ? `, and it DIFFERS from the schema files (${comparison.failing} difference${comparison.failing === 1 ? '' : 's'} above)`
      : '';
  const answer = await ask(
    `this database has objects but no record of patches${differs}. Record all ${count} patches as already applied? (y/N): `,
  );
  // 'q' is what ask() says when input ended: that is a no.
  return answer === 'y' || answer === 'yes';
}

export async function confirmLoadNotEmpty(found: NotEmpty): Promise<boolean> {
  const { contents: c } = found;
  const count = (n: number, one: string, many: string) => (n === 1 ? `1 ${one}` : n ? `${n} ${many}` : '');
  const what = [
    count(c.relations, 'table, view or sequence', 'tables, views or sequences'),
    count(c.functions, 'function', 'functions'),
    count(c.types, 'type', 'types'),
    count(c.schemas, 'schema', 'schemas'),
    found.record && 'a schema_patch record',
  ]
    .filter(Boolean)
    .join(', ');
  const answer = await ask(`${found.database} is not empty (${what}). Load the file into it anyway? (y/N): `);
  return answer === 'y' || answer === 'yes';
}
