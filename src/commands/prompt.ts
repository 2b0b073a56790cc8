/** Questions at the terminal: the reference script's (Y)es, (n)o, (v)iew, (s)kip forever, (a)ll, (q)uit. */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import type { Decision, Question } from '../engine/migrate';
import { displayPath } from '../output/text';

export function isInteractive(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim().toLowerCase();
  } finally {
    rl.close();
  }
}

export async function decide(q: Question): Promise<Decision> {
  const what = q.kind === 'patch' ? `apply patch ${q.patch.name}` : `run ${q.kind} script ${displayPath(q.script!)}`;
  for (;;) {
    const answer = await ask(`${what}? (Y)es, (n)o, (v)iew, (s)kip forever, (a)ll, (q)uit: `);
    switch (answer) {
      case '': case 'y': case 'yes': return 'yes';
      case 'n': case 'no': return 'no';
      case 's': case 'skip': return 'skip';
      case 'a': case 'all': return 'all';
      case 'q': case 'quit': return 'quit';
      case 'v': case 'view':
        process.stderr.write(readFileSync(q.script ?? q.patch.path, 'utf8') + '\n');
        continue;
      default:
        process.stderr.write('please answer y, n, v, s, a or q\n');
    }
  }
}

export async function confirmBaseline(count: number): Promise<boolean> {
  const answer = await ask(`this database has objects but no record of patches. Record all ${count} patches as already applied? (y/N): `);
  return answer === 'y' || answer === 'yes';
}
