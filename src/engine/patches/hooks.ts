/**
 * Runs a patch's pre/post scripts: executables beside the patch, started in their own folder
 * with PATCH_DSN in the environment. Their output is passed on as it comes.
 */
import { spawn } from 'node:child_process';
import { basename, dirname } from 'node:path';
import { HookScriptError, InterruptedError, PatchInvalidError } from '../../errors';
import { isExecutable } from './files';

export type HookOutput = (stream: 'stdout' | 'stderr', chunk: string, script: string) => void;

/** How long a script gets to end after pgpatch passes it a signal, before it is killed. */
export const HOOK_GRACE_MS = 5000;

/**
 * Runs one script and waits for it. The script gets a process group of its own, so that a
 * SIGINT or SIGTERM pgpatch receives meanwhile reaches it and everything it started (passed on to
 * the group): without that, a `kill` of pgpatch left the script running as an orphan, and Ctrl-C
 * did so for what the script had put in the background. After the signal the script gets
 * HOOK_GRACE_MS to end, then the group is killed; the run then fails (InterruptedError), so the
 * caller records the stage as failed. A second signal kills the group at once. Limit: this holds
 * for the signals pgpatch can catch; after a SIGKILL of pgpatch the script runs on.
 */
export async function runHook(script: string, patch: string, dsn: string, onOutput: HookOutput): Promise<void> {
  if (!isExecutable(script)) {
    throw new PatchInvalidError(patch, `script ${script} is not executable`, undefined, `chmod +x ${script}`);
  }
  await new Promise<void>((resolve, reject) => {
    let stoppedBy: NodeJS.Signals | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        // The group is gone already.
      }
    };
    const onSignal = (signal: NodeJS.Signals) => {
      if (stoppedBy) return signalGroup('SIGKILL');
      stoppedBy = signal;
      signalGroup(signal);
      killTimer = setTimeout(() => signalGroup('SIGKILL'), HOOK_GRACE_MS);
    };
    const onInt = () => onSignal('SIGINT');
    const onTerm = () => onSignal('SIGTERM');
    // Before the spawn: the script may run (and be waited on, and pgpatch signalled) before
    // spawn() returns here. A handler runs only after this synchronous code, so `child` is set.
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    const child = spawn(script, [], {
      cwd: dirname(script),
      env: { ...process.env, PATCH_DSN: dsn, PATCH_NAME: patch },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    // On 'close', not 'exit': what the script started keeps its output open until it ends too.
    const done = () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      clearTimeout(killTimer);
    };
    child.stdout.setEncoding('utf8').on('data', (d: string) => onOutput('stdout', d, basename(script)));
    child.stderr.setEncoding('utf8').on('data', (d: string) => onOutput('stderr', d, basename(script)));
    child.on('error', (e) => {
      done();
      reject(new HookScriptError(script, null, null, e.message));
    });
    child.on('close', (code, signal) => {
      done();
      if (stoppedBy)
        reject(
          new InterruptedError(`pgpatch received ${stoppedBy} while script ${script} ran: the script and what it started were stopped`),
        );
      else if (code === 0) resolve();
      else reject(new HookScriptError(script, code, signal));
    });
  });
}
