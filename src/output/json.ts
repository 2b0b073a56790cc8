/** JSON for programs: the same results and errors the text renderer shows, as data. */
import { PgpatchError } from '../errors';

export function errorToJson(error: unknown): Record<string, unknown> {
  if (!(error instanceof PgpatchError)) {
    return { code: 'internal', message: (error as Error)?.message ?? String(error) };
  }
  const { name: _name, stack: _stack, ...fields } = error as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { code: error.code, message: error.message, exitCode: error.exitCode, ...fields };
  // `cause` is not enumerable: without this, a failed patch in JSON lost its file, line and
  // server error (they are on the SqlError it wraps).
  if (error.cause !== undefined) out.cause = errorToJson(error.cause);
  return out;
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
