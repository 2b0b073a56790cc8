-- case: grants on a table and column
-- both
create table g (id int, secret text);
-- to
grant select on g to public;
grant update (secret) on g to public;

-- case: grants revoked on a function
-- both
create function f() returns int language sql as 'select 1';
-- to
revoke execute on function f() from public;

-- case: grant with grant option on a schema
-- both
create schema s;
-- to
grant usage on schema s to pg_read_all_data with grant option;

-- case: default privileges
-- both
create schema app;
-- to
alter default privileges in schema app grant select on tables to public;
alter default privileges revoke execute on functions from public;

-- case: partitioned table and partitions
-- to
create table orders (id bigint, ordered_on date not null, amount numeric) partition by range (ordered_on);
create table orders_2025 partition of orders for values from ('2025-01-01') to ('2026-01-01');
create table orders_2026 partition of orders for values from ('2026-01-01') to ('2027-01-01');
create index orders_date on orders (ordered_on);

-- case: partition added and detached
-- both
create table orders (id bigint, ordered_on date not null) partition by range (ordered_on);
create table orders_2025 partition of orders for values from ('2025-01-01') to ('2026-01-01');
-- from
create table orders_old (id bigint, ordered_on date not null);
-- to
create table orders_old partition of orders for values from ('2000-01-01') to ('2025-01-01');
create table orders_2026 partition of orders for values from ('2026-01-01') to ('2027-01-01');

-- case: inheritance
-- both
create table base (id int);
create table kid (id int, extra text);
-- to
alter table kid inherit base;

-- case: replica identity
-- both
create table ri (id int not null, b text);
create unique index ri_id on ri (id);
-- to
alter table ri replica identity using index ri_id;

-- case: replica identity full
-- both
create table rf (id int);
-- to
alter table rf replica identity full;

-- case: publication
-- both
create table pub_t (id int primary key, n int);
-- to
create publication pub for table pub_t with (publish = 'insert, update');

-- case: publication changed
-- both
create table pub_t (id int primary key, n int);
create table pub_u (id int primary key);
-- from
create publication pub for table pub_t;
-- to
create publication pub for table pub_t, pub_u;

-- case: event trigger
-- both
create function log_ddl() returns event_trigger language plpgsql as $$ begin raise notice 'ddl'; end $$;
-- to
create event trigger log_ddl_end on ddl_command_end when tag in ('CREATE TABLE') execute function log_ddl();

-- case: event trigger disabled
-- both
create function log_ddl() returns event_trigger language plpgsql as $$ begin raise notice 'ddl'; end $$;
create event trigger log_ddl_end on ddl_command_end execute function log_ddl();
-- to
alter event trigger log_ddl_end disable;
