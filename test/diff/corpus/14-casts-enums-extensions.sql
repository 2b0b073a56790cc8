-- Issue 24: type changes PostgreSQL has no cast for, enums changed for other enums, and an
-- extension whose version goes down.

-- case: enum column changed to another enum with a default
-- from
create type status as enum ('new', 'done');
create type state as enum ('new', 'done', 'lost');
create table job (id int, s status not null default 'new');
-- to
create type status as enum ('new', 'done');
create type state as enum ('new', 'done', 'lost');
create table job (id int, s state not null default 'new');

-- case: enum moved to another schema with a default
-- from
create schema a;
create schema b;
create type a.status as enum ('new', 'done');
create table job (id int, s a.status default 'new', hist a.status[]);
-- to
create schema a;
create schema b;
create type b.status as enum ('new', 'done');
create table job (id int, s b.status default 'new', hist b.status[]);

-- case: bigint column becomes a timestamp
-- from
create table t (id int, at bigint);
-- to
create table t (id int, at timestamp);

-- case: uuid column becomes a bigint with an index
-- from
create table t (id uuid);
create index t_id on t (id);
-- to
create table t (id bigint);
create index t_id on t (id);

-- case: extension version goes down
-- from
create extension if not exists hstore version '1.8';
-- to
create extension if not exists hstore version '1.7';

-- case: extension version goes down under a column and an index
-- from
create extension if not exists hstore version '1.8';
create table t (id int, h hstore);
create index t_h on t using gin (h);
-- to
create extension if not exists hstore version '1.7';
create table t (id int, h hstore);
create index t_h on t using gin (h);
