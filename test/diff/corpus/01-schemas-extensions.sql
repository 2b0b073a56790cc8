-- case: schema created
-- to
create schema app;

-- case: schema with a comment and a table
-- to
create schema "Odd Schema";
comment on schema "Odd Schema" is 'odd';
create table "Odd Schema"."T" (id int primary key);

-- case: schema comment changed
-- both
create schema app;
-- from
comment on schema app is 'one';
-- to
comment on schema app is 'two';

-- case: extension created
-- to
create extension if not exists pg_trgm;

-- case: extension used by an index
-- both
create extension if not exists pg_trgm;
create table doc (id int primary key, body text);
-- to
create index doc_body_trgm on doc using gin (body gin_trgm_ops);
