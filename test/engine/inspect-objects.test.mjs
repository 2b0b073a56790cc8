// compareModels on real databases: functions, sequences, types, extensions, collations, schemas,
// row-level security, privileges, owners and comments. Every difference is checked word for word,
// on each test server (PostgreSQL 18 and 15: eachServer in test/helpers/servers.mjs).
import test from 'ava';
import { eachServer } from '../helpers/servers.mjs';
import { query } from '../helpers/database.mjs';
import { database, differences, messages, modelOf, role } from './_inspect.mjs';

const S = 'create schema myapp';

eachServer(test, 'functions and procedures: body, attributes, config, arguments, result, overloads', async (t) => {
  const fn = (attrs, body = 'select $1 * 2') => `create function myapp.twice(p int) returns int language sql ${attrs} as $$ ${body} $$`;
  const d = await differences(t, {
    common: S,
    expected: `${fn('immutable strict')};
      create function myapp.twice(p numeric) returns numeric language sql as $$ select p * 2 $$;
      create function myapp.secret() returns text language sql security definer set search_path = pg_catalog, pg_temp as $$ select 'x' $$;
      create function myapp.greet(name text default 'world') returns text language sql as $$ select 'hello ' || name $$;
      create function myapp.total() returns bigint language plpgsql as $$
      begin
        return 1;
      end $$;
      create procedure myapp.purge(batch int) language sql as $$ select 1 $$`,
    actual: `${fn('stable')};
      create function myapp.secret() returns text language sql as $$ select 'x' $$;
      create function myapp.greet(name text default 'you') returns varchar language sql as $$ select 'hello ' || name $$;
      create function myapp.total() returns bigint language plpgsql as $$
      begin
        return 2;
      end $$`,
  });
  t.deepEqual(messages(d), [
    "function myapp.greet(text): arguments (name text DEFAULT 'world'::text) in the schema files, arguments (name text DEFAULT 'you'::text) after the patches",
    'function myapp.greet(text): RETURNS text in the schema files, RETURNS character varying after the patches',
    'procedure myapp.purge(integer): in the schema files, missing after the patches',
    'function myapp.secret(): SECURITY DEFINER in the schema files, SECURITY INVOKER after the patches',
    'function myapp.secret(): SET search_path=pg_catalog, pg_temp in the schema files, no SET clause after the patches',
    'function myapp.total(): body differs at line 2: "return 1;" in the schema files, "return 2;" after the patches',
    'function myapp.twice(integer): IMMUTABLE in the schema files, STABLE after the patches',
    'function myapp.twice(integer): STRICT in the schema files, CALLED ON NULL INPUT after the patches',
    'function myapp.twice(numeric): in the schema files, missing after the patches',
  ]);
  t.like(
    d.find((x) => x.property === 'securityDefiner'),
    {
      kind: 'changed',
      objectType: 'function',
      object: 'myapp.secret()',
      expected: true,
      actual: false,
    },
  );
});

eachServer(test, 'functions: a body that differs only by line endings or surrounding blank lines is the same', async (t) => {
  const d = await differences(t, {
    common: S,
    expected: 'create function myapp.f() returns int language sql as $$\nselect 1\n$$',
    actual: 'create function myapp.f() returns int language sql as $$select 1$$',
  });
  t.deepEqual(d, []);
});

eachServer(test, 'functions: an aggregate, and language, parallel safety and leakproofness', async (t) => {
  const d = await differences(t, {
    common: `${S}; create function myapp.add(int, int) returns int language sql immutable as $$ select $1 + $2 $$`,
    expected: `create aggregate myapp.total(int) (sfunc = myapp.add, stype = int, initcond = '0');
      create function myapp.lp(int) returns boolean language sql leakproof parallel safe as $$ select $1 > 0 $$;
      create function myapp.lang() returns int language sql as $$ select 1 $$`,
    actual: `create aggregate myapp.total(int) (sfunc = myapp.add, stype = int, initcond = '1');
      create function myapp.lp(int) returns boolean language sql as $$ select $1 > 0 $$;
      create function myapp.lang() returns int language plpgsql as $$ begin return 1; end $$`,
  });
  t.deepEqual(messages(d), [
    'function myapp.lang(): LANGUAGE sql in the schema files, LANGUAGE plpgsql after the patches',
    'function myapp.lang(): body "select 1" in the schema files, "begin return 1; end" after the patches',
    'function myapp.lp(integer): LEAKPROOF in the schema files, NOT LEAKPROOF after the patches',
    'function myapp.lp(integer): PARALLEL SAFE in the schema files, PARALLEL UNSAFE after the patches',
    'aggregate myapp.total(integer): kind = n, sfunc = myapp.add, stype = integer, initcond = 0 in the schema files, ' +
      'kind = n, sfunc = myapp.add, stype = integer, initcond = 1 after the patches',
  ]);
});

eachServer(test, 'sequences: options and OWNED BY differ; current values do not count', async (t) => {
  const d = await differences(t, {
    common: `${S}; create table myapp.t (id int)`,
    expected: `create sequence myapp.a increment by 5 minvalue 10 maxvalue 1000 start 10 cycle;
      create sequence myapp.b as integer cache 20 owned by myapp.t.id;
      create sequence myapp.c;
      create sequence myapp.gone`,
    actual: `create sequence myapp.a start 10 minvalue 10;
      create sequence myapp.b as bigint cache 20;
      create sequence myapp.c; select setval('myapp.c', 500)`,
  });
  t.deepEqual(messages(d), [
    'sequence myapp.a: INCREMENT BY 5 in the schema files, INCREMENT BY 1 after the patches',
    'sequence myapp.a: MAXVALUE 1000 in the schema files, MAXVALUE 9223372036854775807 after the patches',
    'sequence myapp.a: CYCLE in the schema files, NO CYCLE after the patches',
    'sequence myapp.b: type integer in the schema files, type bigint after the patches',
    'sequence myapp.b: MAXVALUE 2147483647 in the schema files, MAXVALUE 9223372036854775807 after the patches',
    'sequence myapp.b: OWNED BY myapp.t.id in the schema files, OWNED BY NONE after the patches',
    'sequence myapp.gone: in the schema files, missing after the patches',
  ]);
});

eachServer(test, 'types: enum labels and their order, domains, composite and range types', async (t) => {
  const d = await differences(t, {
    common: S,
    expected: `create type myapp.mood as enum ('sad', 'ok', 'happy');
      create type myapp.colour as enum ('red', 'green');
      create domain myapp.isbn as text not null default '' check (value ~ '^[0-9]{13}$');
      create domain myapp.code as varchar(10) collate "C" constraint code_ck check (value <> '');
      create type myapp.pair as (a int, b text);
      create type myapp.floatrange as range (subtype = float8, subtype_diff = float8mi)`,
    actual: `create type myapp.mood as enum ('sad', 'happy');
      alter type myapp.mood add value 'ok';
      create type myapp.colour as enum ('red', 'green', 'blue');
      create domain myapp.isbn as varchar(13) constraint isbn_check check (value ~ '^[0-9]{10}$');
      create domain myapp.code as varchar(10); alter domain myapp.code add constraint code_ck check (value <> '') not valid;
      create type myapp.pair as (a int, b varchar);
      create type myapp.floatrange as range (subtype = float8)`,
  });
  t.deepEqual(messages(d), [
    'domain myapp.code: COLLATE "C" in the schema files, the default collation after the patches',
    'domain myapp.code, constraint code_ck: valid in the schema files, NOT VALID after the patches',
    "enum type myapp.colour: labels 'red', 'green' in the schema files, labels 'red', 'green', 'blue' after the patches",
    'range type myapp.floatrange: subtype_diff float8mi in the schema files, no subtype_diff after the patches',
    'domain myapp.isbn: base type text in the schema files, base type character varying(13) after the patches',
    'domain myapp.isbn: NOT NULL in the schema files, nullable after the patches',
    "domain myapp.isbn: default ''::text in the schema files, no default after the patches",
    "domain myapp.isbn, constraint isbn_check: CHECK ((VALUE ~ '^[0-9]{13}$'::text)) in the schema files, " +
      "CHECK (((VALUE)::text ~ '^[0-9]{10}$'::text)) after the patches",
    "enum type myapp.mood: labels 'sad', 'ok', 'happy' in the schema files, labels 'sad', 'happy', 'ok' after the patches",
    'composite type myapp.pair: (a integer, b text) in the schema files, (a integer, b character varying) after the patches',
  ]);
});

// CREATE TYPE ... AS RANGE also creates constructor functions and (PostgreSQL 14+) a multirange
// type with constructors of its own, all internal to the range type: the model has the range type,
// with the name of its multirange, and none of them.
eachServer(test, 'range types: the type and its multirange name; not the functions and types created with it', async (t) => {
  const range = `${S}; create type myapp.floatrange as range (subtype = float8);
    create table myapp.offer (price myapp.floatrange, prices myapp.floatmultirange)`;
  const db = await database(t);
  await query(db.url, range);
  const model = await modelOf(db.url);
  t.deepEqual(Object.keys(model.functions), []);
  t.deepEqual(Object.keys(model.types), ['myapp.floatrange']);
  t.like(model.types['myapp.floatrange'], { kind: 'range', subtype: 'double precision', multirange: 'myapp.floatmultirange' });

  const d = await differences(t, {
    common: S,
    expected: `create type myapp.floatrange as range (subtype = float8);
      create type myapp.slot as range (subtype = timestamptz, multirange_type_name = myapp.slots)`,
    actual: 'create type myapp.slot as range (subtype = timestamptz)',
  });
  t.deepEqual(messages(d), [
    'range type myapp.floatrange: in the schema files, missing after the patches',
    'range type myapp.slot: multirange type myapp.slots in the schema files, multirange type myapp.slot_multirange after the patches',
  ]);
});

eachServer(test, 'extensions: missing, or in another schema; their own objects stay out of the model', async (t) => {
  const d = await differences(t, {
    common: 'create schema ext; create schema other',
    expected: 'create extension btree_gist with schema ext; create extension pg_trgm with schema ext',
    actual: 'create extension btree_gist with schema other',
  });
  t.deepEqual(messages(d), [
    'extension btree_gist: in schema ext in the schema files, in schema other after the patches',
    'extension pg_trgm: in the schema files, missing after the patches',
  ]);
});

eachServer(test, 'collations: provider, locale, determinism', async (t) => {
  const d = await differences(t, {
    common: S,
    expected: `create collation myapp.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
      create collation myapp.german (provider = icu, locale = 'de-DE');
      create collation myapp.bytes (provider = libc, locale = 'C')`,
    actual: `create collation myapp.ci (provider = icu, locale = 'und-u-ks-level2');
      create collation myapp.german (provider = icu, locale = 'de-AT');
      create collation myapp.bytes (provider = icu, locale = 'und')`,
  });
  t.deepEqual(messages(d), [
    'collation myapp.bytes: provider libc in the schema files, provider icu after the patches',
    'collation myapp.bytes: no locale in the schema files, locale "und" after the patches',
    'collation myapp.bytes: LC_COLLATE "C" in the schema files, no LC_COLLATE after the patches',
    'collation myapp.bytes: LC_CTYPE "C" in the schema files, no LC_CTYPE after the patches',
    'collation myapp.ci: nondeterministic in the schema files, deterministic after the patches',
    'collation myapp.german: locale "de-DE" in the schema files, locale "de-AT" after the patches',
  ]);
});

eachServer(test, 'row-level security: enabled, forced, policies', async (t) => {
  const reader = await role(t, 'reader');
  const d = await differences(t, {
    common: `${S}; create table myapp.doc (id int, owner text, secret boolean)`,
    expected: `alter table myapp.doc enable row level security;
      alter table myapp.doc force row level security;
      create policy own on myapp.doc for select to ${reader} using (owner = current_user);
      create policy no_secrets on myapp.doc as restrictive for all using (not secret);
      create policy add on myapp.doc for insert with check (owner = current_user)`,
    actual: `create policy own on myapp.doc for all to public using (owner = session_user);
      create policy no_secrets on myapp.doc for all using (not secret)`,
  });
  t.deepEqual(messages(d), [
    'table myapp.doc: row level security enabled in the schema files, row level security disabled after the patches',
    'table myapp.doc: row level security forced on the owner in the schema files, row level security not forced on the owner after the patches',
    'table myapp.doc, policy add: in the schema files, missing after the patches',
    'table myapp.doc, policy no_secrets: RESTRICTIVE in the schema files, PERMISSIVE after the patches',
    'table myapp.doc, policy own: FOR SELECT in the schema files, FOR ALL after the patches',
    `table myapp.doc, policy own: TO ${reader} in the schema files, TO PUBLIC after the patches`,
    'table myapp.doc, policy own: USING ((owner = CURRENT_USER)) in the schema files, USING ((owner = SESSION_USER)) after the patches',
  ]);
});

eachServer(test, 'privileges: tables, columns, grant option, functions, schemas, sequences, types', async (t) => {
  const app = await role(t, 'app');
  const d = await differences(t, {
    common: `${S}; create table myapp.book (id int, title text, price numeric);
      create function myapp.f() returns int language sql as $$ select 1 $$;
      create sequence myapp.s; create type myapp.e as enum ('a')`,
    expected: `grant select, insert on myapp.book to ${app};
      grant update (price) on myapp.book to ${app};
      grant usage on schema myapp to ${app} with grant option;
      revoke execute on function myapp.f() from public;
      grant usage on sequence myapp.s to ${app};
      revoke usage on type myapp.e from public`,
    actual: `grant select on myapp.book to ${app};
      grant usage on schema myapp to ${app};
      grant usage on sequence myapp.s to ${app}`,
  });
  t.deepEqual(messages(d), [
    'schema myapp, grants to ' + app + ': USAGE WITH GRANT OPTION in the schema files, USAGE after the patches',
    `table myapp.book, column price, grants to ${app}: UPDATE in the schema files, none after the patches`,
    `table myapp.book, grants to ${app}: SELECT, INSERT in the schema files, SELECT after the patches`,
    'enum type myapp.e, grants to PUBLIC: none in the schema files, USAGE after the patches',
    'function myapp.f(), grants to PUBLIC: none in the schema files, EXECUTE after the patches',
  ]);
  t.like(
    d.find((x) => x.object === 'myapp.book' && !x.detail.startsWith('column')),
    {
      kind: 'changed',
      property: 'grants',
      expected: ['SELECT', 'INSERT'],
      actual: ['SELECT'],
    },
  );
});

eachServer(test, 'privileges: granted then revoked is the same as never granted', async (t) => {
  const app = await role(t, 'app');
  const d = await differences(t, {
    common: `${S}; create table myapp.t (id int); create function myapp.f() returns int language sql as $$ select 1 $$`,
    expected: '',
    actual: `grant select on myapp.t to ${app}; revoke select on myapp.t from ${app};
      revoke execute on function myapp.f() from public; grant execute on function myapp.f() to public`,
  });
  t.deepEqual(d, []);
});

eachServer(test, 'default privileges given after the tables instead of before show on the tables', async (t) => {
  const app = await role(t, 'app');
  const d = await differences(t, {
    common: S,
    expected: `alter default privileges in schema myapp grant select on tables to ${app}; create table myapp.t (id int)`,
    actual: `create table myapp.t (id int); alter default privileges in schema myapp grant select on tables to ${app}`,
  });
  t.deepEqual(messages(d), [`table myapp.t, grants to ${app}: SELECT in the schema files, none after the patches`]);
});

eachServer(test, 'default privileges: missing and different', async (t) => {
  const app = await role(t, 'app');
  const d = await differences(t, {
    common: S,
    expected: `alter default privileges in schema myapp grant select, insert on tables to ${app};
      alter default privileges in schema myapp grant usage on sequences to ${app};
      alter default privileges revoke execute on functions from public`,
    actual: `alter default privileges in schema myapp grant select on tables to ${app}`,
  });
  t.deepEqual(messages(d), [
    `default privileges for role postgres in schema myapp on sequences, grants to ${app}: USAGE in the schema files, none after the patches`,
    `default privileges for role postgres in schema myapp on tables, grants to ${app}: SELECT, INSERT in the schema files, SELECT after the patches`,
    'default privileges for role postgres on functions, grants to PUBLIC: none in the schema files, EXECUTE after the patches',
  ]);
});

eachServer(test, 'owners of schemas, tables, views, sequences, functions and types', async (t) => {
  const owner = await role(t, 'owner');
  const d = await differences(t, {
    common: `${S}; create table myapp.t (id int); create view myapp.v as select 1 as x; create sequence myapp.s;
      create function myapp.f() returns int language sql as $$ select 1 $$; create type myapp.e as enum ('a')`,
    expected: `alter schema myapp owner to ${owner}; alter table myapp.t owner to ${owner}; alter view myapp.v owner to ${owner};
      alter sequence myapp.s owner to ${owner}; alter function myapp.f() owner to ${owner}; alter type myapp.e owner to ${owner}`,
  });
  // The owner's own privileges move with the owner: not reported again as grants.
  t.deepEqual(messages(d), [
    `schema myapp: owned by ${owner} in the schema files, owned by postgres after the patches`,
    `enum type myapp.e: owned by ${owner} in the schema files, owned by postgres after the patches`,
    `function myapp.f(): owned by ${owner} in the schema files, owned by postgres after the patches`,
    `sequence myapp.s: owned by ${owner} in the schema files, owned by postgres after the patches`,
    `table myapp.t: owned by ${owner} in the schema files, owned by postgres after the patches`,
    `view myapp.v: owned by ${owner} in the schema files, owned by postgres after the patches`,
  ]);
});

eachServer(test, 'comments on schemas, tables, columns, constraints, indexes, functions and types', async (t) => {
  const d = await differences(t, {
    common: `${S}; create table myapp.t (id int constraint t_pk primary key, x int); create index t_x_idx on myapp.t (x);
      create function myapp.f() returns int language sql as $$ select 1 $$; create type myapp.e as enum ('a')`,
    expected: `comment on schema myapp is 'The app';
      comment on table myapp.t is 'Things';
      comment on column myapp.t.x is 'An x';
      comment on constraint t_pk on myapp.t is 'Primary';
      comment on index myapp.t_x_idx is 'For x';
      comment on function myapp.f() is 'Returns one';
      comment on type myapp.e is 'Letters'`,
    actual: `comment on schema myapp is 'The application';
      comment on column myapp.t.x is 'The x'`,
  });
  t.deepEqual(messages(d), [
    'schema myapp: comment "The app" in the schema files, comment "The application" after the patches',
    'enum type myapp.e: comment "Letters" in the schema files, no comment after the patches',
    'function myapp.f(): comment "Returns one" in the schema files, no comment after the patches',
    'table myapp.t: comment "Things" in the schema files, no comment after the patches',
    'table myapp.t, column x: comment "An x" in the schema files, comment "The x" after the patches',
    'table myapp.t, constraint t_pk: comment "Primary" in the schema files, no comment after the patches',
    'table myapp.t, index t_x_idx: comment "For x" in the schema files, no comment after the patches',
  ]);
});

eachServer(test, 'schemas: missing and extra; the labels say where each side comes from', async (t) => {
  const d = await differences(t, {
    expected: 'create schema reporting',
    actual: 'create schema scratch',
    labels: { expected: 'in the schema files', actual: 'in the live database' },
  });
  t.deepEqual(messages(d), [
    'schema reporting: in the schema files, missing in the live database',
    'schema scratch: not in the schema files, but present in the live database',
  ]);
});
