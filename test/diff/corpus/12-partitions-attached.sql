-- Issue 24: indexes and constraints of partitions attached to their parent's, and what DETACH
-- and ATTACH leave behind. pg_dump shows the partitions' own names, so the model keeps them.

-- case: parent index added over a partition's own index
-- both
create table m (id int, at date not null) partition by range (at);
create table m_2025 partition of m for values from ('2025-01-01') to ('2026-01-01');
create index m25_at on m_2025 (at);
-- to
create index m_at on m (at);

-- case: parent primary key backed by a partition's own primary key
-- both
create table m (id int not null, at date not null) partition by range (at);
create table m_2025 (id int not null, at date not null);
alter table m_2025 add constraint m25_pk primary key (id, at);
alter table m attach partition m_2025 for values from ('2025-01-01') to ('2026-01-01');
-- to
alter table m add constraint m_pk primary key (id, at);

-- case: parent unique index backed by a partition's own unique index
-- both
create table m (id int not null, at date not null) partition by list (at);
create table m_a partition of m for values in ('2025-01-01');
create unique index m_a_uq on m_a (id, at);
-- to
create unique index m_uq on m (id, at);

-- case: index created on only the parent, then attached
-- from
create table m (id int, at date not null) partition by range (at);
create table m_1 partition of m for values from ('2025-01-01') to ('2026-01-01');
create table m_2 partition of m for values from ('2026-01-01') to ('2027-01-01');
-- to
create table m (id int, at date not null) partition by range (at);
create table m_1 partition of m for values from ('2025-01-01') to ('2026-01-01');
create table m_2 partition of m for values from ('2026-01-01') to ('2027-01-01');
create index m_at on only m (at);
create index m1_at_custom on m_1 (at);
create index m2_at_custom on m_2 (at);
alter index m_at attach partition m1_at_custom;
alter index m_at attach partition m2_at_custom;

-- case: partition detached keeps what it was given
-- from
create table m (id int not null, at date not null, primary key (id, at)) partition by range (at);
create index m_at on m (at);
create table m_2025 partition of m for values from ('2025-01-01') to ('2026-01-01');
-- to
create table m (id int not null, at date not null, primary key (id, at)) partition by range (at);
create index m_at on m (at);
create table m_2025 (id int not null, at date not null);

-- case: partition detached keeps its key and index as its own
-- from
create table m (id int not null, at date not null, primary key (id, at)) partition by range (at);
create index m_at on m (at);
create table m_2025 partition of m for values from ('2025-01-01') to ('2026-01-01');
-- to
create table m (id int not null, at date not null, primary key (id, at)) partition by range (at);
create index m_at on m (at);
create table m_2025 (id int not null, at date not null);
alter table m_2025 add constraint m_2025_pkey primary key (id, at);
create index m_2025_at_idx on m_2025 (at);

-- case: table attached as a partition with its own index
-- from
create table m (id int, at date not null) partition by range (at);
create index m_at on m (at);
create table m_2025 (id int, at date not null);
create index m_2025_own on m_2025 (at);
-- to
create table m (id int, at date not null) partition by range (at);
create index m_at on m (at);
create table m_2025 (id int, at date not null);
create index m_2025_own on m_2025 (at);
alter table m attach partition m_2025 for values from ('2025-01-01') to ('2026-01-01');

-- case: new partition with a custom index name
-- both
create table m (id int, at date not null) partition by range (at);
create index m_at on m (at);
-- to
create table m_2025 (id int, at date not null);
create index m_2025_special on m_2025 (at);
alter table m attach partition m_2025 for values from ('2025-01-01') to ('2026-01-01');

-- case: NOT VALID check on a parent, validated on a partition
-- both
create table m (id int, at date not null) partition by range (at);
create table m_2025 partition of m for values from ('2025-01-01') to ('2026-01-01');
-- from
alter table m add constraint m_id_ck check (id > 0) not valid;
-- to
alter table m add constraint m_id_ck check (id > 0) not valid;
alter table m_2025 validate constraint m_id_ck;

-- case: foreign key on a partitioned table, partition detached
-- from
create table ref (id int primary key);
create table m (id int, at date not null, r int references ref) partition by range (at);
create table m_2025 partition of m for values from ('2025-01-01') to ('2026-01-01');
-- to
create table ref (id int primary key);
create table m (id int, at date not null, r int references ref) partition by range (at);
create table m_2025 (id int, at date not null, r int);

-- case: partition key changed keeps its partition
-- from
create table m (id int, at date not null, n int not null) partition by range (at);
create table m_1 partition of m for values from ('2025-01-01') to ('2026-01-01');
-- to
create table m (id int, at date not null, n int not null) partition by range (n);
create table m_1 partition of m for values from (0) to (100);

-- case: partition key changed, partition with the same bound text
-- from
create table m (id int, a int not null, b int not null) partition by range (a);
create table m_1 partition of m for values from (0) to (10);
-- to
create table m (id int, a int not null, b int not null) partition by range (b);
create table m_1 partition of m for values from (0) to (10);

-- case: sub-partitioned partition with an index
-- from
create table m (id int, at date not null, k int not null) partition by range (at);
create table m_2025 partition of m for values from ('2025-01-01') to ('2026-01-01') partition by list (k);
create table m_2025_1 partition of m_2025 for values in (1);
-- to
create table m (id int, at date not null, k int not null) partition by range (at);
create table m_2025 partition of m for values from ('2025-01-01') to ('2026-01-01') partition by list (k);
create table m_2025_1 partition of m_2025 for values in (1);
create index m_k on m (k);
