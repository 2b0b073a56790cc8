-- case: primary key added
-- from
create table a (id int not null);
-- to
create table a (id int not null primary key);

-- case: unique, check and exclusion
-- both
create extension if not exists btree_gist;
create table r (id int, room int, during tsrange, code text);
-- to
alter table r add constraint r_code_uq unique (code);
alter table r add constraint r_room_ck check (room > 0);
alter table r add constraint r_no_overlap exclude using gist (room with =, during with &&);

-- case: foreign keys between tables
-- from
create table parent (id int primary key);
-- to
create table parent (id int primary key);
create table child (id int primary key, parent_id int references parent (id) on delete cascade deferrable initially deferred);

-- case: check constraint changed
-- both
create table c (n int);
-- from
alter table c add constraint c_n_ck check (n > 0);
-- to
alter table c add constraint c_n_ck check (n >= 0);

-- case: NOT VALID constraint, then validated
-- both
create table v (n int);
-- from
alter table v add constraint v_n_ck check (n > 0) not valid;
-- to
alter table v add constraint v_n_ck check (n > 0);

-- case: foreign key NOT VALID
-- both
create table p (id int primary key);
create table q (id int, p_id int);
-- to
alter table q add constraint q_p_fk foreign key (p_id) references p (id) not valid;

-- case: indexes: partial, expression, unique
-- both
create table ix (id int, email text, deleted boolean);
-- to
create unique index ix_email_uq on ix (lower(email)) where not deleted;
create index ix_id_idx on ix using hash (id);

-- case: index changed
-- both
create table ix2 (a int, b int);
-- from
create index ix2_idx on ix2 (a);
-- to
create index ix2_idx on ix2 (a, b);

-- case: index comment
-- both
create table ix3 (a int);
create index ix3_a on ix3 (a);
-- to
comment on index ix3_a is 'for lookups';

-- case: constraint comment
-- both
create table cc (a int constraint cc_a_ck check (a > 0));
-- to
comment on constraint cc_a_ck on cc is 'positive';

-- case: primary key changed with a foreign key on it
-- from
create table p (id int primary key, code text not null unique);
create table c (id int primary key, p_id int references p (id));
-- to
create table p (id int primary key, code text not null unique);
create table c (id int primary key, p_code text references p (code));
