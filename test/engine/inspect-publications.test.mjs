// Publications and event triggers: the model reads them with their properties, and compareModels
// says each difference, on each test server (PostgreSQL 18 and 15: eachServer). The test servers
// run as superuser, which event triggers and FOR ALL TABLES need; creating a publication needs no
// wal_level = logical (only using it does).
import test from 'ava';
import { query } from '../helpers/database.mjs';
import { eachServer } from '../helpers/servers.mjs';
import { database, differences, messages, modelOf } from './_inspect.mjs';

const TABLES = `create schema myapp; create schema audit;
  create table myapp.orders (id int primary key, amount numeric, note text);
  create table myapp.customer (id int primary key, name text);
  create table audit.entry (id int primary key)`;

const LOG_DDL = `create function myapp.log_ddl() returns event_trigger language plpgsql as $$ begin raise notice 'ddl'; end $$`;

eachServer(test, 'the model reads publications: tables, row filter, column list, schemas, publish, via root, owner, comment', async (t) => {
  const db = await database(t);
  await query(
    db.url,
    `${TABLES};
    create publication orders_pub for table myapp.orders (id, amount) where (amount > 0), table myapp.customer
      with (publish = 'insert, update', publish_via_partition_root = true);
    -- A column list cannot go with FOR TABLES IN SCHEMA in one publication.
    create publication audit_pub for tables in schema audit, table myapp.customer where (name <> '');
    comment on publication orders_pub is 'Orders to the warehouse';
    create publication everything for all tables;
    create publication "Empty"`,
  );
  const m = await modelOf(db.url);
  t.deepEqual(Object.keys(m.publications), ['"Empty"', 'audit_pub', 'everything', 'orders_pub']);
  t.deepEqual(m.publications.orders_pub, {
    name: 'orders_pub',
    owner: m.publications.orders_pub.owner,
    allTables: false,
    publish: ['insert', 'update'],
    viaRoot: true,
    tables: { 'myapp.customer': {}, 'myapp.orders': { columns: ['id', 'amount'], rowFilter: '(amount > (0)::numeric)' } },
    schemas: [],
    comment: 'Orders to the warehouse',
  });
  t.like(m.publications.audit_pub, { schemas: ['audit'], tables: { 'myapp.customer': { rowFilter: "(name <> ''::text)" } } });
  t.like(m.publications.everything, {
    allTables: true,
    publish: ['insert', 'update', 'delete', 'truncate'],
    viaRoot: false,
    tables: {},
    schemas: [],
  });
  t.like(m.publications['"Empty"'], { allTables: false, tables: {}, schemas: [] });
});

eachServer(test, 'the model reads event triggers: event, function, tags, enabled state, owner, comment', async (t) => {
  const db = await database(t);
  await query(
    db.url,
    `create schema myapp; ${LOG_DDL};
    create event trigger log_tables on ddl_command_end when tag in ('DROP TABLE', 'CREATE TABLE') execute function myapp.log_ddl();
    create event trigger log_drops on sql_drop execute function myapp.log_ddl();
    alter event trigger log_drops disable;
    comment on event trigger log_tables is 'Who changed what'`,
  );
  const m = await modelOf(db.url);
  const owner = m.eventTriggers.log_tables.owner;
  t.deepEqual(m.eventTriggers, {
    log_drops: { name: 'log_drops', event: 'sql_drop', function: 'myapp.log_ddl()', enabled: 'disabled', owner },
    log_tables: {
      name: 'log_tables',
      event: 'ddl_command_end',
      function: 'myapp.log_ddl()',
      enabled: 'origin',
      tags: ['CREATE TABLE', 'DROP TABLE'],
      owner,
      comment: 'Who changed what',
    },
  });
});

eachServer(test, 'publications: missing, another table list, row filter, column list, publish option, FOR ALL TABLES', async (t) => {
  const d = await differences(t, {
    common: TABLES,
    expected: `create publication a for table myapp.orders (id, amount) where (amount > 0), table myapp.customer;
      create publication b for table myapp.orders with (publish = 'insert, update, delete');
      create publication c for all tables;
      create publication gone for table myapp.orders;
      create publication s for tables in schema audit`,
    actual: `create publication a for table myapp.orders (id, note) where (amount > 10), table audit.entry;
      create publication b for table myapp.orders with (publish = 'insert');
      create publication c for table myapp.orders;
      create publication s for tables in schema myapp`,
  });
  t.deepEqual(messages(d), [
    'publication a, table audit.entry: not in the schema files, but present after the patches',
    'publication a, table myapp.customer: in the schema files, missing after the patches',
    'publication a, table myapp.orders: columns (id, amount) in the schema files, columns (id, note) after the patches',
    'publication a, table myapp.orders: WHERE (amount > (0)::numeric) in the schema files, WHERE (amount > (10)::numeric) after the patches',
    "publication b: publish = 'insert, update, delete' in the schema files, publish = 'insert' after the patches",
    'publication c: FOR ALL TABLES in the schema files, not FOR ALL TABLES after the patches',
    'publication c, table myapp.orders: not in the schema files, but present after the patches',
    'publication gone: in the schema files, missing after the patches',
    'publication s: FOR TABLES IN SCHEMA audit in the schema files, FOR TABLES IN SCHEMA myapp after the patches',
  ]);
  t.like(
    d.find((x) => x.property === 'rowFilter'),
    { kind: 'changed', objectType: 'publication', object: 'a', detail: 'table myapp.orders' },
  );
});

eachServer(test, 'event triggers: missing, extra, disabled, another event, function or tag filter', async (t) => {
  const d = await differences(t, {
    common: `create schema myapp; ${LOG_DDL};
      create function myapp.other() returns event_trigger language plpgsql as $$ begin end $$`,
    expected: `create event trigger gone on ddl_command_start execute function myapp.log_ddl();
      create event trigger off on ddl_command_end execute function myapp.log_ddl();
      create event trigger changed on ddl_command_end when tag in ('CREATE TABLE') execute function myapp.log_ddl()`,
    actual: `create event trigger off on ddl_command_end execute function myapp.log_ddl();
      alter event trigger off disable;
      create event trigger changed on sql_drop execute function myapp.other();
      create event trigger added on ddl_command_start execute function myapp.log_ddl()`,
  });
  t.deepEqual(messages(d), [
    'event trigger added: not in the schema files, but present after the patches',
    'event trigger changed: ON ddl_command_end in the schema files, ON sql_drop after the patches',
    'event trigger changed: EXECUTE FUNCTION myapp.log_ddl() in the schema files, EXECUTE FUNCTION myapp.other() after the patches',
    "event trigger changed: WHEN TAG IN ('CREATE TABLE') in the schema files, for every command (no WHEN TAG) after the patches",
    'event trigger gone: in the schema files, missing after the patches',
    'event trigger off: enabled in the schema files, DISABLED after the patches',
  ]);
  t.like(
    d.find((x) => x.property === 'enabled'),
    { kind: 'changed', objectType: 'event trigger', object: 'off', expected: 'origin', actual: 'disabled' },
  );
});

eachServer(test, 'a schema that holds only the excluded record table stays in the model while a publication names it', async (t) => {
  const db = await database(t);
  await query(
    db.url,
    `create schema "Record Here"; create table "Record Here".schema_patch (id int);
    create schema rec; create table rec.schema_patch (id int);
    create publication whole for tables in schema "Record Here"`,
  );
  const m = await modelOf(db.url);
  t.deepEqual(
    Object.keys(m.schemas).filter((k) => k !== 'public'),
    ['"Record Here"'],
  );
  t.deepEqual(m.publications.whole.schemas, ['"Record Here"']);
});
