-- database.sql: entry point of the schema.
--
-- Load it into an EMPTY database, as a superuser, from this folder:
--     psql -X -v ON_ERROR_STOP=1 -f database.sql "postgres://host/dbname"
-- or with pgpatch:  pgpatch load
-- It does not create the database itself, so the same file serves a
-- developer's database, the test suite and a new production server.
--
-- It creates the global-ish objects (roles, extensions, schemas), sets the
-- basic permissions, then imports the details into the target schemas.
-- Later changes go into BOTH these files and a patch in patches/ (pgpatch
-- makemigrations NAME writes one with the diff of these files).

\i users.sql
revoke create on schema public from public;     -- safety

--- create a schema for the django app tables
create schema {{app}};
grant usage on schema {{app}} to {{app}}, view, backup;

--- set the default permissions for all the objects that will be created there.
--- They only apply to objects created AFTER them, by the role running this
--- file: that is why they come before the \i of the app files.
alter default privileges in schema {{app}}
    grant select, insert, update, delete on tables to {{app}};
alter default privileges in schema {{app}}
    grant select on tables to view, backup;
alter default privileges in schema {{app}} grant all on sequences to {{app}};
alter default privileges in schema {{app}} grant select on sequences to backup;

--- import the tables into the schema.
--- (No trailing "-- comments" on \i lines: psql takes them as extra arguments.)
set search_path to {{app}}, public;
{{django}}--- your app models
\i {{app}}.sql
reset search_path;
