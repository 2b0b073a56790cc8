// The house rules, kept by the linter instead of review (README, Development):
// - the engine returns data: it never prints, exits or reaches for output/ or commands/;
// - only output/ and cli.ts write to the terminal;
// - commands hold no catch: cli.ts has the only one that ends a command.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const terminal = [
  { object: 'process', property: 'stdout', message: 'only src/output/ and src/cli.ts write to the terminal' },
  { object: 'process', property: 'stderr', message: 'only src/output/ and src/cli.ts write to the terminal' },
  { object: 'process', property: 'exit', message: "the exit status is cli.ts's: return it, or throw an error from src/errors.ts" },
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.pgpatch/', 'bench/out/', 'test/django/project/', 'test/adopt/django*/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        require: 'readonly',
        module: 'readonly',
        __dirname: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        URL: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        TextDecoder: 'readonly',
        TextEncoder: 'readonly',
        performance: 'readonly',
        globalThis: 'readonly',
        structuredClone: 'readonly',
        queueMicrotask: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/output/**', 'src/cli.ts'],
    rules: {
      'no-console': 'error',
      'no-restricted-properties': ['error', ...terminal],
    },
  },
  {
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '(^|/)output(/|$)', message: "the engine returns data; rendering it is output/'s, called by a command" },
            { regex: '(^|/)commands(/|$)', message: 'the engine knows nothing of the command line' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/commands/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'CatchClause',
          message: 'a command has no catch: cli.ts holds the only one (the engine may catch to add data to an error)',
        },
        { selector: "CallExpression[callee.property.name='catch']", message: 'a command has no catch: cli.ts holds the only one' },
      ],
    },
  },
  {
    files: ['test/**/*.mjs', 'bench/**/*.mjs', '*.mjs'],
    // Tests match aligned output (`[X]  name`) with literal runs of spaces.
    rules: { '@typescript-eslint/no-require-imports': 'off', 'no-regex-spaces': 'off' },
  },
);
