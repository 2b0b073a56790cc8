-- case: sequence created and altered
-- from
create sequence s1;
-- to
create sequence s1 increment by 5 maxvalue 1000000 cycle;
create sequence s2 as integer start with 100;

-- case: sequence owned by a column
-- both
create table o (id int);
create sequence o_seq;
-- to
alter sequence o_seq owned by o.id;
alter table o alter column id set default nextval('o_seq');

-- case: enum created and used
-- to
create type mood as enum ('sad', 'ok', 'happy');
create table person (id int, mood mood not null default 'ok');

-- case: enum label added
-- both
create table person (id int);
-- from
create type mood as enum ('sad', 'happy');
alter table person add column m mood;
-- to
create type mood as enum ('sad', 'ok', 'happy', 'ecstatic');
alter table person add column m mood;

-- case: enum label dropped
-- from
create type status as enum ('draft', 'published', 'archived');
create table post (id int, s status default 'draft', hist status[]);
-- to
create type status as enum ('draft', 'published');
create table post (id int, s status default 'draft', hist status[]);

-- case: domain created with check
-- to
create domain posint as integer check (value > 0);
create table d (n posint);

-- case: domain constraint, default and not null changed
-- from
create domain code as text check (length(value) = 3);
-- to
create domain code as text default 'AAA' not null constraint code_upper check (value = upper(value));

-- case: domain calling a function
-- to
create function is_even(int) returns boolean language sql immutable as 'select $1 % 2 = 0';
create domain even as int check (is_even(value));
create table e (n even);

-- case: composite type attributes
-- from
create type addr as (street text, city text);
-- to
create type addr as (street text, city varchar(100), zip text);

-- case: range type
-- to
create type floatrange as range (subtype = float8, subtype_diff = float8mi);
create table fr (r floatrange);

-- case: type comment
-- both
create type t1 as enum ('a');
-- to
comment on type t1 is 'a type';
