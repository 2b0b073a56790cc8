/**
 * Runs a patch's pre/post scripts: executables beside the patch, started in their own folder
 * with PATCH_DSN in the environment. Their output is passed on as it comes.
 */
import { spawn } from 'node:child_process';
import { basename, dirname } from 'node:path';
import { HookScriptError, PatchInvalidError } from '../../errors';
import type { Target } from '../db';
import { isExecutable } from './files';

export type HookOutput = (stream: 'stdout' | 'stderr', chunk: string, script: string) => void;

/** The connection string a script gets. With libpq variables, those are inherited too. */
export function patchDsn(target: Target, env: NodeJS.ProcessEnv = process.env): string {
  if (target.connectionString) return target.connectionString;
  const user = env.PGUSER ? `${encodeURIComponent(env.PGUSER)}@` : '';
  const host = env.PGHOST && !env.PGHOST.startsWith('/') ? env.PGHOST : '';
  const port = env.PGPORT ? `:${env.PGPORT}` : '';
  const params = env.PGHOST?.startsWith('/') ? `?host=${encodeURIComponent(env.PGHOST)}` : '';
  return `postgresql://${user}${host}${port}/${encodeURIComponent(env.PGDATABASE ?? '')}${params}`;
}

export async function runHook(script: string, patch: string, dsn: string, onOutput: HookOutput): Promise<void> {
  if (!isExecutable(script)) {
    throw new PatchInvalidError(patch, `script ${script} is not executable`, undefined, `chmod +x ${script}`);
  }
  await new Promise<void>((resolve, reject) => {
    const child = spawn(script, [], {
      cwd: dirname(script),
      env: { ...process.env, PATCH_DSN: dsn, PATCH_NAME: patch },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.setEncoding('utf8').on('data', (d: string) => onOutput('stdout', d, basename(script)));
    child.stderr.setEncoding('utf8').on('data', (d: string) => onOutput('stderr', d, basename(script)));
    child.on('error', (e) => reject(new HookScriptError(script, null, null, e.message)));
    child.on('close', (code, signal) => (code === 0 ? resolve() : reject(new HookScriptError(script, code, signal))));
  });
}
