-- case: trigger created
-- both
create table t (id int, updated timestamptz);
create function touch() returns trigger language plpgsql as $$ begin new.updated := now(); return new; end $$;
-- to
create trigger t_touch before update on t for each row execute function touch();

-- case: trigger disabled
-- both
create table t (id int, updated timestamptz);
create function touch() returns trigger language plpgsql as $$ begin new.updated := now(); return new; end $$;
create trigger t_touch before update on t for each row execute function touch();
-- to
alter table t disable trigger t_touch;

-- case: trigger changed
-- both
create table t (id int, updated timestamptz);
create function touch() returns trigger language plpgsql as $$ begin new.updated := now(); return new; end $$;
-- from
create trigger t_touch before update on t for each row execute function touch();
-- to
create trigger t_touch before insert or update on t for each row execute function touch();

-- case: row level security and policies
-- both
create table doc (id int, owner name);
-- to
alter table doc enable row level security;
alter table doc force row level security;
create policy doc_owner on doc for select using (owner = current_user);
create policy doc_insert on doc as restrictive for insert with check (owner = current_user);

-- case: policy changed
-- both
create table doc (id int, owner name);
alter table doc enable row level security;
-- from
create policy doc_owner on doc for select using (owner = current_user);
-- to
create policy doc_owner on doc for all using (owner = session_user);

-- case: rule
-- both
create table r (id int);
create table r_log (id int);
-- to
create rule r_log_ins as on insert to r do also insert into r_log values (new.id);

-- case: extended statistics
-- both
create table st (a int, b int);
-- to
create statistics st_ab (dependencies) on a, b from st;
