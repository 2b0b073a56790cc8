/** JSON for programs: the same results and errors the text renderer shows, as data. */
import { PgpatchError } from '../errors';

export function errorToJson(error: unknown): Record<string, unknown> {
  if (!(error instanceof PgpatchError)) {
    return { code: 'internal', message: (error as Error)?.message ?? String(error) };
  }
  const { name: _name, stack: _stack, ...fields } = error as unknown as Record<string, unknown>;
  return { code: error.code, message: error.message, exitCode: error.exitCode, ...fields };
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
