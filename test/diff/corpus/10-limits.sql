-- case: range type changed while a column uses it
-- from
create type numr as range (subtype = numeric);
create table t (r numr);
-- to
create type numr as range (subtype = float8);
create table t (r numr);

-- case: composite type used by a column loses an attribute
-- from
create type pair as (a int, b int);
create table t (p pair);
-- to
create type pair as (a int);
create table t (p pair);

-- case: extension moved to another schema
-- both
create schema ext;
-- from
create extension if not exists pg_trgm;
-- to
create extension if not exists pg_trgm with schema ext;

-- case: check constraint calling a function whose return type changes
-- from
create function lim() returns int language sql immutable as 'select 10';
create table t (n int check (n < lim()));
-- to
create function lim() returns bigint language sql immutable as 'select 10::bigint';
create table t (n int check (n < lim()));

-- case: default and index calling a function whose arguments change
-- from
create function norm(s text) returns text language sql immutable as 'select lower(s)';
create table t (s text default norm('X'));
create index t_norm on t (norm(s));
-- to
create function norm(s text, keep boolean default false) returns text language sql immutable as 'select case when keep then s else lower(s) end';
create table t (s text default norm('X'));
create index t_norm on t (norm(s));

-- case: default calling a function whose return type changes
-- from
create function start_n() returns int language sql immutable as 'select 1';
create table t (n bigint default start_n());
-- to
create function start_n() returns bigint language sql immutable as 'select 1::bigint';
create table t (n bigint default start_n());
