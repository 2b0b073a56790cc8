-- users.sql: the roles the database needs.
--
-- Roles belong to the whole server, not to one database: this file runs for
-- every database loaded into the server, so it must succeed when the roles
-- already exist, and also when another load running at the same time creates
-- one between our check and our CREATE (that raises duplicate_object, or a
-- unique_violation on pg_authid: both just mean "somebody else did it").
--
-- No ALTER ROLE here: two concurrent ALTERs of the same role fail with "tuple
-- concurrently updated". Role attributes are set on creation only; change
-- them later with a patch.

-- {{app}}: the role the application connects as. It reads and changes the
-- data, never the schema: it owns nothing, so it cannot ALTER or DROP tables.
-- No password here: set one out of band, or leave authentication to pg_hba.conf.
do $$
begin
    perform 1 from pg_roles where rolname = '{{app}}';
    if not found then
        create role {{app}} login nosuperuser nocreatedb nocreaterole;
    end if;
exception
    when duplicate_object or unique_violation then
        raise notice 'role {{app}} created concurrently, skipping';
end
$$;

-- backup: read-only access to everything, for pg_dump.
do $$
begin
    perform 1 from pg_roles where rolname = 'backup';
    if not found then
        create role backup login;
    end if;
exception
    when duplicate_object or unique_violation then
        raise notice 'role backup created concurrently, skipping';
end
$$;

-- view: read-only group role for reporting; grant it to people, not apps.
do $$
begin
    perform 1 from pg_roles where rolname = 'view';
    if not found then
        create role view nologin;
    end if;
exception
    when duplicate_object or unique_violation then
        raise notice 'role view created concurrently, skipping';
end
$$;
