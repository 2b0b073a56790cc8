-- {{description}}
--
-- Patch:   {{name}}
-- Date:    {{date}}
-- Author:  {{author}}
--
-- How to write it (try it on a test database first):
--   1. Write the statements between BEGIN and COMMIT below, and comment out
--      the COMMIT while you try them.
--   2. In psql on a test database:  \i {{path}}
--      If it fails: ROLLBACK, fix the file, \i again.
--      To include another file, use \ir with a path relative to this file:
--      it resolves the same here and under pgpatch migrate (\i does not).
--      If it works, look around (SAVEPOINT x lets you undo a typo with
--      ROLLBACK TO SAVEPOINT x), then ROLLBACK.
--   3. Put the COMMIT back, and apply it for good with: pgpatch migrate
--
-- Changes to the schema files against {{diff_against}}:
--
{{diff}}

BEGIN;

{{draft}}

COMMIT;
