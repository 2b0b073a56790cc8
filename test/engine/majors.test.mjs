// compareModels across majors, on models as PostgreSQL 14 and 18 read back the same schema
// files (measured with `pgpatch embedded install 14` and the demo schema: test/check/live.test.mjs
// proves the rest on live servers, 15 against 18). No server here: the models are written out.
import test from 'ava';
import { compareModels } from 'pgpatch';

const LABELS = { expected: 'in the schema files', actual: 'in the live database' };

function model(serverVersion, schemas) {
  return {
    serverVersion,
    schemas,
    extensions: {},
    collations: {},
    types: {},
    tables: {},
    views: {},
    sequences: {},
    functions: {},
    defaultPrivileges: {},
  };
}

const PUBLIC_18 = { name: 'public', owner: 'pg_database_owner', grants: { PUBLIC: ['USAGE'], pg_database_owner: ['USAGE', 'CREATE'] } };

test('the public schema as PostgreSQL 14 makes it is no difference from 18', (t) => {
  const as14 = { name: 'public', owner: 'postgres', grants: { PUBLIC: ['USAGE', 'CREATE'], postgres: ['USAGE', 'CREATE'] } };
  const revoked14 = { ...as14, grants: { PUBLIC: ['USAGE'], postgres: ['USAGE', 'CREATE'] } };
  t.deepEqual(compareModels(model(180004, { public: PUBLIC_18 }), model(140023, { public: as14 }), LABELS), []);
  t.deepEqual(compareModels(model(180004, { public: PUBLIC_18 }), model(140023, { public: revoked14 }), LABELS), []);
});

test('the public schema changed by hand is still a difference across majors; on one major, the version changes nothing', (t) => {
  const granted14 = {
    name: 'public',
    owner: 'postgres',
    grants: { PUBLIC: ['USAGE', 'CREATE'], postgres: ['USAGE', 'CREATE'], app: ['USAGE'] },
  };
  t.deepEqual(
    compareModels(model(180004, { public: PUBLIC_18 }), model(140023, { public: granted14 }), LABELS).map((d) => d.message),
    ['schema public, grants to app: none in the schema files, USAGE in the live database'],
  );
  const as14 = { name: 'public', owner: 'postgres', grants: { PUBLIC: ['USAGE', 'CREATE'], postgres: ['USAGE', 'CREATE'] } };
  t.deepEqual(
    compareModels(model(140023, { public: PUBLIC_18 }), model(140023, { public: as14 }), LABELS).map((d) => d.message),
    [
      'schema public: owned by pg_database_owner in the schema files, owned by postgres in the live database',
      'schema public, grants to PUBLIC: USAGE in the schema files, USAGE, CREATE in the live database',
    ],
  );
});
