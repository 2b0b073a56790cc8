-- Issue 24: the order of drops and creates comes from one dependency graph: what references a
-- table goes before it, a table exists before what references it, a type or collation goes
-- only once the columns have let go of it, a view over a rebuilt table is rebuilt around it.

-- case: table dropped with a foreign key of another table on it
-- from
create table parent (id int primary key);
create table child (id int primary key, parent_id int references parent);
-- to
create table child (id int primary key, parent_id int);

-- case: referenced table rebuilt as a partitioned table
-- from
create table parent (id int primary key);
create table child (id int primary key, parent_id int references parent);
-- to
create table parent (id int primary key) partition by hash (id);
create table parent_0 partition of parent for values with (modulus 1, remainder 0);
create table child (id int primary key, parent_id int references parent);

-- case: referenced table in a schema that is dropped
-- from
create schema lookup;
create table lookup.kind (id int primary key);
create table item (id int primary key, kind_id int references lookup.kind);
-- to
create table item (id int primary key, kind_id int);

-- case: foreign key to a table in a new schema
-- both
create schema app;
create table app.item (id int primary key, kind_id int);
-- to
create schema lookup;
grant usage on schema lookup to public;
comment on schema lookup is 'lookup tables';
create table lookup.kind (id int primary key);
alter table app.item add constraint item_kind_fk foreign key (kind_id) references lookup.kind;

-- case: foreign keys both ways between new schemas
-- to
create schema a;
create schema b;
grant usage on schema a to public;
grant usage on schema b to public;
create table a.x (id int primary key, y_id int);
create table b.y (id int primary key, x_id int references a.x);
alter table a.x add foreign key (y_id) references b.y;

-- case: enum dropped once its column is text
-- from
create type mood as enum ('sad', 'happy');
create table t (m mood default 'sad');
-- to
create table t (m text default 'sad');

-- case: collation dropped once its column has the default one
-- from
create collation nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
create table t (name text collate nocase);
-- to
create table t (name text);

-- case: domain dropped once its column has the base type
-- from
create domain posint as int check (value > 0);
create table t (n posint);
-- to
create table t (n int);

-- case: composite type dropped once its column is another type
-- from
create type pair as (a int, b int);
create table t (p pair);
-- to
create table t (p int[]);

-- case: type in a dropped schema freed by its column
-- from
create schema kinds;
create type kinds.level as enum ('low', 'high');
create table t (l kinds.level);
-- to
create table t (l text);

-- case: view over a table rebuilt as partitioned
-- from
create table ev (id int, at date not null);
create view recent as select id, at from ev where at > date '2025-01-01';
-- to
create table ev (id int, at date not null) partition by range (at);
create view recent as select id, at from ev where at > date '2025-01-01';

-- case: materialized view over a table rebuilt as partitioned
-- from
create table ev (id int, at date not null);
create materialized view ev_count as select count(*) as n from ev;
-- to
create table ev (id int, at date not null) partition by range (at);
create materialized view ev_count as select count(*) as n from ev;
