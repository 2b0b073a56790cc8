-- case: view created
-- both
create table b (id int, title text, price numeric);
-- to
create view cheap as select id, title from b where price < 10;

-- case: view reads a column whose type changes
-- from
create table b (id int, title varchar(20));
create view titles as select id, title from b;
-- to
create table b (id int, title text);
create view titles as select id, title from b;

-- case: view reads a column that is dropped
-- from
create table b (id int, title text, sub text);
create view v as select id, title, sub from b;
-- to
create table b (id int, title text);
create view v as select id, title from b;

-- case: view on view
-- both
create table b (id int, n int);
-- from
create view v1 as select id, n from b;
create view v2 as select id from v1;
-- to
create view v1 as select id, n * 2 as n from b;
create view v2 as select id, n from v1;

-- case: materialized view with index
-- both
create table b (id int, n int);
-- to
create materialized view mv as select id, sum(n) as s from b group by id;
create unique index mv_id on mv (id);

-- case: function created and body changed
-- from
create function add1(i int) returns int language sql immutable as 'select i + 1';
-- to
create function add1(i int) returns int language sql immutable as 'select i + 2';

-- case: function return type changed
-- from
create function f() returns int language sql as 'select 1';
-- to
create function f() returns bigint language sql as 'select 1::bigint';

-- case: plpgsql function and procedure
-- to
create function touch() returns trigger language plpgsql as $$ begin new.updated := now(); return new; end $$;
create procedure p(n int) language plpgsql as $$ begin perform n; end $$;

-- case: function used by a default
-- from
create table t (id int, code text);
-- to
create function make_code() returns text language sql volatile as $$ select md5(random()::text) $$;
create table t (id int, code text default make_code());

-- case: function attributes and config
-- from
create function g(x int) returns int language sql as 'select x';
-- to
create function g(x int) returns int language sql immutable strict parallel safe set search_path = pg_catalog as 'select x';

-- case: SQL-standard body naming a table
-- to
create table s (n int);
create function total() returns bigint language sql stable begin atomic select sum(n) from s; end;

-- case: function used by a view, return type changed
-- from
create function two() returns int language sql as 'select 2';
create view vt as select two() as x;
-- to
create function two() returns bigint language sql as 'select 2::bigint';
create view vt as select two() as x;

-- case: aggregate
-- to
create aggregate mysum(int) (sfunc = int4pl, stype = int, initcond = '0');
