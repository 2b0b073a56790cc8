/**
 * A fleet's targets, listed once before anything runs: the databases of a server, or the
 * schemas of a database, whose names are LIKE a pattern (in byte order), or the list given.
 */
import { UsageError } from '../../errors';
import { quoteIdent } from '../../quote';
import { inSchema, onDatabase } from '../../target';
import { defaultApplicationName, withSession } from '../db';
import type { FleetSpec, FleetTarget } from './types';

/** Never a target of --databases: the maintenance database (templates are never either, nor databases that take no connections). */
const MAINTENANCE = 'postgres';

/** Never a target of --schemas: the shared schema and the system's. */
const NOT_TENANTS = `nspname <> 'public' and nspname <> 'information_schema' and nspname !~ '^pg_'`;

export async function listFleet(spec: FleetSpec): Promise<FleetTarget[]> {
  if (spec.kind === 'targets') return spec.targets.map((target) => ({ name: target.display, target }));
  const listing = { applicationName: `${defaultApplicationName()} (fleet listing)` };
  if (spec.kind === 'databases') {
    const names = await withSession(
      spec.server,
      async (s) =>
        (
          await s.query<{ datname: string }>(
            `select datname from pg_database
              where datname like $1 and not datistemplate and datallowconn and datname <> $2
              order by datname collate "C"`,
            [spec.pattern, MAINTENANCE],
          )
        ).rows.map((r) => r.datname),
      listing,
    );
    if (names.length === 0) throw noMatch('database', spec.pattern, spec.server.display);
    return names.map((name) => ({ name, target: onDatabase(spec.server, name) }));
  }
  const names = await withSession(
    spec.database,
    async (s) =>
      (
        await s.query<{ nspname: string }>(
          `select nspname from pg_namespace where nspname like $1 and ${NOT_TENANTS} order by nspname collate "C"`,
          [spec.pattern],
        )
      ).rows.map((r) => r.nspname),
    listing,
  );
  if (names.length === 0) throw noMatch('schema', spec.pattern, spec.database.display);
  return names.map((name) => ({
    name,
    target: inSchema(spec.database, name, `${quoteIdent(name)},public`),
    tenantSchema: name,
  }));
}

/** A pattern that matches nothing is more likely a typo than a fleet of none: refused, as a missing patches folder is. */
function noMatch(what: string, pattern: string, where: string): UsageError {
  return new UsageError(`no ${what} of ${where} is LIKE '${pattern}'`, {
    hint: `the pattern is SQL's LIKE: % stands for any characters, _ for one (write \\_ for an underscore itself)${
      what === 'database' ? '; templates and the postgres database are never targets' : '; public and the pg_ schemas are never targets'
    }`,
  });
}
