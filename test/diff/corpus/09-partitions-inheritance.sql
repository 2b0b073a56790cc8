-- case: column added to a partitioned table
-- from
create table m (id int, at date not null) partition by range (at);
create table m_2025 partition of m for values from ('2025-01-01') to ('2026-01-01');
-- to
create table m (id int, at date not null, n int not null default 0) partition by range (at);
create table m_2025 partition of m for values from ('2025-01-01') to ('2026-01-01');

-- case: column type changed on a partitioned table
-- from
create table m (id int, at date not null, n int) partition by range (at);
create table m_2025 partition of m for values from ('2025-01-01') to ('2026-01-01');
-- to
create table m (id int, at date not null, n bigint) partition by range (at);
create table m_2025 partition of m for values from ('2025-01-01') to ('2026-01-01');

-- case: constraint and index on a partitioned table
-- both
create table m (id int, at date not null) partition by range (at);
create table m_2025 partition of m for values from ('2025-01-01') to ('2026-01-01');
-- to
alter table m add constraint m_pk primary key (id, at);
create index m_at on m (at);
alter table m add constraint m_id_ck check (id > 0);

-- case: column added to an inherited table
-- from
create table base (id int);
create table kid (extra text) inherits (base);
-- to
create table base (id int, created timestamptz);
create table kid (extra text) inherits (base);

-- case: list partitions with a default partition
-- to
create table ev (kind text not null, payload jsonb) partition by list (kind);
create table ev_click partition of ev for values in ('click');
create table ev_other partition of ev default;

-- case: partition bound changed
-- both
create table m (id int, at date not null) partition by range (at);
-- from
create table m_a partition of m for values from ('2025-01-01') to ('2025-07-01');
-- to
create table m_a partition of m for values from ('2025-01-01') to ('2026-01-01');
