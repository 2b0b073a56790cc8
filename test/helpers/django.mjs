// Django for the tests that build databases with `manage.py migrate`: whether the interpreter
// can run it, and a migrate into a test database as the server's superuser.
import { spawn, spawnSync } from 'node:child_process';

export const PYTHON = process.env.PGPATCH_TEST_PYTHON || '/usr/bin/python3';

/** Why Django cannot run here, or null. */
export function djangoProblem() {
  const r = spawnSync(PYTHON, ['-c', 'import django, psycopg2; print(django.get_version())'], { encoding: 'utf8', timeout: 30000 });
  if (r.error) return `${PYTHON} cannot run (${r.error.code ?? r.error.message})`;
  if (r.status !== 0) return `${PYTHON} cannot import django and psycopg2 (${r.stderr.trim().split('\n').pop()})`;
  return null;
}

/** The modules of `modules` that the interpreter can import. */
export function importable(modules) {
  const code = `import importlib\nfor m in ${JSON.stringify(modules)}:\n    try:\n        importlib.import_module(m); print(m)\n    except Exception:\n        pass\n`;
  const r = spawnSync(PYTHON, ['-c', code], { encoding: 'utf8', timeout: 60000 });
  return new Set(r.status === 0 ? r.stdout.split('\n').filter(Boolean) : []);
}

/** `manage.py migrate` in `projectDir` into `dbName` on `serverUrl`; `env` adds variables. */
export function djangoMigrate(projectDir, serverUrl, dbName, env = {}) {
  const server = new URL(serverUrl);
  const childEnv = { ...process.env };
  for (const k of Object.keys(childEnv)) if (/^PG/.test(k) || k === 'DATABASE_URL' || k === 'DJANGO_SETTINGS_MODULE') delete childEnv[k];
  Object.assign(childEnv, {
    DB_NAME: dbName,
    DB_HOST: server.hostname,
    DB_PORT: server.port,
    DB_USER: decodeURIComponent(server.username) || 'postgres',
    DB_PASSWORD: decodeURIComponent(server.password),
    PYTHONDONTWRITEBYTECODE: '1',
    ...env,
  });
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['manage.py', 'migrate', '--no-input', '-v', '0'], {
      cwd: projectDir,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}
