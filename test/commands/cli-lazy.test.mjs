// cli.ts registers only the command the arguments name, when that is certain, so that a run loads
// one command module instead of 14. The command must read its arguments and print its help as
// when every command is registered; in doubt, every command is.
import test from 'ava';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { buildProgram, certainCommand } = require('../../dist/cli.js');

test('the command is certain only past known global options', (t) => {
  t.is(certainCommand(['showmigrations']), 'showmigrations');
  t.is(certainCommand(['--dsn', 'migrate', 'showmigrations', '--json']), 'showmigrations');
  t.is(certainCommand(['--dsn=x', '--json', '--verbose', '--embedded', '--record-schema', 'r', 'migrate']), 'migrate');
  for (const args of [[], ['--help'], ['help', 'migrate'], ['--bogus', 'migrate'], ['--', 'migrate'], ['--dsn'], ['--dsn', 'migrate'], ['showmigratons'], ['-V']]) {
    t.is(certainCommand(args), undefined, args.join(' '));
  }
});

test('each command alone reads the same options and prints the same help as among all', (t) => {
  const all = buildProgram();
  for (const command of all.commands) {
    const alone = buildProgram(command.name());
    t.deepEqual(alone.commands.map((c) => c.name()), [command.name()]);
    t.is(alone.commands[0].helpInformation(), command.helpInformation(), command.name());
  }
});
