// cli.ts registers only the command the arguments name, when that is certain, so that a run loads
// one command module instead of 14. The command must read its arguments and print its help as
// when every command is registered; in doubt, every command is.
import test from 'ava';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { buildProgram, certainCommand } = require('../../dist/cli.js');

// The global options are the program's own: read from it, not from a second list.
const certain = (args) => certainCommand(buildProgram(), args);

test('the command is certain only past known global options', (t) => {
  t.is(certain(['showmigrations']), 'showmigrations');
  t.is(certain(['--dsn', 'migrate', 'showmigrations', '--json']), 'showmigrations');
  t.is(
    certain([
      '--dsn=x',
      '--json',
      '--verbose',
      '--embedded',
      '--record-schema',
      'r',
      '--embedded-db',
      'x',
      '--schema-dir',
      's',
      '--patches-dir=p',
      'migrate',
    ]),
    'migrate',
  );
  for (const args of [
    [],
    ['--help'],
    ['help', 'migrate'],
    ['--bogus', 'migrate'],
    ['--', 'migrate'],
    ['--dsn'],
    ['--dsn', 'migrate'],
    ['showmigratons'],
    ['-V'],
  ]) {
    t.is(certain(args), undefined, args.join(' '));
  }
});

test('each command alone reads the same options and prints the same help as among all', (t) => {
  const all = buildProgram();
  for (const command of all.commands) {
    const alone = buildProgram([command.name()]);
    t.deepEqual(
      alone.commands.map((c) => c.name()),
      [command.name()],
    );
    t.is(alone.commands[0].helpInformation(), command.helpInformation(), command.name());
  }
});
