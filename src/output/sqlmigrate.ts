/** `sqlmigrate`'s output: the patch on stdout (as it is, or its statements as they would run); where it is and how it runs on stderr. */
import type { SqlMigrateResult } from '../engine/authoring/sqlmigrate';
import { printJson } from './json';
import { print, say } from './terminal';
import { displayPath } from './text';

export function renderSqlMigrate(r: SqlMigrateResult, o: { json?: boolean }): void {
  if (o.json) {
    const { text, ...rest } = r;
    printJson({ ...rest, ...(text ? { text: text.toString('utf8') } : {}) });
    return;
  }
  say(`-- ${displayPath(r.patch.path)}`);
  say(`--   migrate runs it: ${describeRun(r.run)}`);
  for (const [when, hooks] of [
    ['pre', r.pre],
    ['post', r.post],
  ] as const) {
    for (const h of hooks)
      say(`--   ${when}: ${displayPath(h.path)}${h.executable ? '' : ' (not executable: it will fail when the patch runs)'}`);
  }
  if (r.text) {
    print(r.text);
    return;
  }
  const out: string[] = [];
  for (const s of r.statements ?? []) {
    const at = s.file ? `${displayPath(s.file)}:${s.line}` : '';
    if (s.kind === 'sql') out.push(`-- ${at}\n${s.text}\n`);
    else if (s.kind === 'copy' && s.data !== undefined)
      out.push(`-- ${at}\n${/;\s*$/.test(s.text) ? s.text : `${s.text};`}\n${s.data}\\.\n`);
    else if (s.kind === 'copy') out.push(`-- ${at} (\\copy: rows from ${displayPath(s.dataFile!)})\n${s.text};\n`);
    else if (s.kind === 'echo') out.push(`-- \\echo ${s.text}\n`);
    else {
      out.push(`-- ${at}: warning: ${s.text}\n`);
      say(`${at}: warning: ${s.text}`);
    }
  }
  print(out.join('\n'));
}

/** How migrate runs the patch, in words (Django's sqlmigrate shows its BEGIN/COMMIT; this says it). */
function describeRun(run: { mode: string; reason: string; oneMessage: boolean }): string {
  const message = run.oneMessage ? ', sent as one message with its record row' : ', statement by statement';
  if (run.mode === 'wrapped') return `inside BEGIN ... COMMIT that pgpatch adds${message}`;
  if (run.mode === 'own') return `in its own BEGIN ... COMMIT, its record row written just before the COMMIT${message}`;
  if (run.mode === 'none') return `outside a transaction (${run.reason}): recorded applying, then applied or failed`;
  return `never: it is refused (${run.reason})`;
}
