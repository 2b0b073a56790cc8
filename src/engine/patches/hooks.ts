/**
 * Runs a patch's pre/post scripts: executables beside the patch, started in their own folder
 * with PATCH_DSN in the environment. Their output is passed on as it comes.
 */
import { spawn } from 'node:child_process';
import { basename, dirname } from 'node:path';
import { connectionUriForChild, resolveConnection } from '../../connection-settings';
import { HookScriptError, PatchInvalidError } from '../../errors';
import type { Target } from '../db';
import { isExecutable } from './files';

export type HookOutput = (stream: 'stdout' | 'stderr', chunk: string, script: string) => void;

/**
 * The connection string a script gets: a URI as given, else the connection the settings resolve
 * to (a key/value string, a service file, PG* variables) as one URI, so that a script whose
 * client knows no service file or key/value form still reaches the same database.
 */
export function patchDsn(target: Target, env: NodeJS.ProcessEnv = process.env): string {
  if (target.connectionString && /^postgres(ql)?:\/\//i.test(target.connectionString)) return target.connectionString;
  return connectionUriForChild(resolveConnection(target.connectionString, target.source, env).info);
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
