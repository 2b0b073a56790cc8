/** What a script is compiled with, read from the session it will run in (load and migrate). */
import type { Session } from '../db';

/**
 * What psql gives every script it runs, read from the session: the variables DBNAME, USER, HOST
 * and PORT (schema files use them: grant connect on database :"DBNAME"), with the user's own on
 * top, and how the server reads backslashes in strings (standard_conforming_strings), which
 * decides where statements end. load and migrate (its first-run build and its patches) use it.
 */
export async function scriptContext(
  session: Session,
  own: Record<string, string> = {},
): Promise<{ variables: Record<string, string>; standardConformingStrings: boolean }> {
  const facts = await session.query<Record<'scs' | 'DBNAME' | 'USER' | 'PORT' | 'HOST', string>>(
    `select current_setting('standard_conforming_strings') as scs, current_database() as "DBNAME",
            current_user as "USER", current_setting('port') as "PORT",
            coalesce(host(inet_server_addr()), 'localhost') as "HOST"`,
  );
  const { scs, ...psqlVariables } = facts.rows[0];
  return { variables: { ...psqlVariables, ...own }, standardConformingStrings: scs === 'on' };
}
