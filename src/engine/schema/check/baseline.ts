/**
 * Before `migrate --assume-applied` records every patch as applied on a database that has
 * objects but no record (a baseline), compare that database with the schema files, as
 * `check --dsn` does: recording patches as applied on a database that is not what they assume
 * hides the difference until a later patch fails on it, or worse, does not.
 *
 * Its own module, outside migrate: check builds with migrate, so migrate cannot import check.
 * The command asks `needsBaseline` first (cheap, read-only), and only then starts a scratch
 * server and compares.
 */
import { defaultApplicationName, withSession, type Target } from '../../db';
import { isEmptyDatabase } from '../../patches/emptiness';
import { inReadOnlyTransaction, refuseTransactionPooler } from '../../patches/pooler';
import { recordExists } from '../../patches/recorder';
import { check, type CheckOptions, type CheckResult } from './check';

/**
 * Whether migrate would baseline this database: no record table, and objects of its own. Read
 * only, in a transaction of its own. A database with a record, even an interrupted first-run
 * build's, is not baselined. When it would be, a transaction pooler is refused here
 * (TransactionPoolerError), as migrate refuses it, before the comparison is built.
 */
export async function needsBaseline(target: Target, recordSchema = 'public'): Promise<boolean> {
  return withSession(target, async (s) => {
    const needs = await inReadOnlyTransaction(s, async () => !(await recordExists(s, recordSchema)) && !(await isEmptyDatabase(s)));
    if (needs) await refuseTransactionPooler(s, target, `${defaultApplicationName()} (pooler check)`);
    return needs;
  });
}

export type BaselineCompareOptions = Omit<CheckOptions, 'live' | 'baseRef' | 'ignoreOwners' | 'strict'> & { target: Target };

/**
 * The live comparison of `target` with the schema files (built in a scratch database on
 * `scratchUrl`), read-only on the target. Owners are left out: the database was usually built
 * by another role than the one on the scratch server, and patches do not depend on who owns an
 * object. Column order differences are listed but do not fail (as check without --strict).
 */
export async function compareBeforeBaseline(options: BaselineCompareOptions): Promise<CheckResult> {
  const { target, ...rest } = options;
  return check({ ...rest, live: target, ignoreOwners: true, strict: false });
}
