// SIGTERM or SIGINT to migrate while a pre/post script runs: the signal is passed on to the
// script and what it started (no orphans left running), and the record says the stage failed.
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useDatabase } from '../helpers/database.mjs';
import { exists, projectWithRecord, record, startPgpatch, waitFor } from '../helpers/project.mjs';

useDatabase(test);
test.afterEach.always((t) => {
  // Whatever happens, leave no sleeper behind.
  for (const pid of t.context.pids ?? [])
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  t.context.project?.cleanup();
});

/** Whether a process is running (a zombie waiting for its parent to reap it has ended). */
function running(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

for (const [signal, stage] of [
  ['SIGTERM', 'post'],
  ['SIGINT', 'pre'],
]) {
  test(`${signal} while a ${stage} script runs: the script's child is stopped, the record says failed in stage ${stage}`, async (t) => {
    const { p, url } = await projectWithRecord(t);
    p.patch('2024-01-01_hooked.sql', 'create table hooked (id int);\n');
    // The script starts a child and waits for it, as a script running a long command does.
    p.script(`2024-01-01_hooked.${stage}.sh`, 'echo $$ > script.pid\nsleep 300 &\necho $! > child.pid\nwait $!');
    const { child, done } = startPgpatch(p, url, 'migrate');
    const pidFile = (f) => join(p.patchesDir, f);
    await waitFor(
      () => existsSync(pidFile('child.pid')) && readFileSync(pidFile('child.pid'), 'utf8').trim(),
      'the script to start its child',
    );
    const pids = ['script.pid', 'child.pid'].map((f) => Number(readFileSync(pidFile(f), 'utf8')));
    t.context.pids = pids;
    t.true(pids.every(running));
    child.kill(signal);
    const r = await done;
    t.is(r.code, 130, `${r.signal} ${r.stderr}`);
    t.regex(r.stderr, new RegExp(`pgpatch received ${signal} while script .*2024-01-01_hooked\\.${stage}\\.sh ran`));
    await waitFor(() => !pids.some(running), 'the script and its child to end', 10000);
    t.false(pids.some(running));
    const row = (await record(url)).find((x) => x.name === '2024-01-01_hooked');
    t.like(row, { status: 'failed', stage });
    t.regex(row.error, new RegExp(signal));
    t.is(await exists(url, 'hooked'), stage === 'post');
  });
}
