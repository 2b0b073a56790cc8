-- Issue 24 and issue 20: inheritance as PostgreSQL keeps it: a child's inherited columns are not
-- its own (attislocal), a parent's change reaches its children, a child keeps what it declares.

-- case: child table created with inherited columns
-- both
create table base (id int, created timestamptz default now());
-- to
create table kid (extra text) inherits (base);

-- case: child table declaring an inherited column as its own
-- both
create table base (id int, note text);
-- to
create table kid (id int, extra text) inherits (base);

-- case: parent default changed, child keeps its own
-- both
create table base (id int, n int default 1);
create table kid (extra text) inherits (base);
-- to
alter table only base alter column n set default 2;

-- case: child default differs from its parent
-- from
create table base (id int, n int default 1);
create table kid (extra text) inherits (base);
-- to
create table base (id int, n int default 1);
create table kid (extra text) inherits (base);
alter table kid alter column n set default 5;

-- case: parent column dropped, child keeps its own copy
-- from
create table base (id int, x int);
create table kid (x int, extra text) inherits (base);
-- to
create table base (id int);
create table kid (x int, extra text) inherits (base);

-- case: parent column dropped from the parent only
-- from
create table base (id int, x int);
create table kid (extra text) inherits (base);
-- to
create table base (id int, x int);
create table kid (extra text) inherits (base);
alter table only base drop column x;

-- case: parent with two children, column type changed
-- from
create table base (id int, v int);
create table k1 () inherits (base);
create table k2 (v int) inherits (base);
-- to
create table base (id int, v bigint);
create table k1 () inherits (base);
create table k2 (v bigint) inherits (base);
