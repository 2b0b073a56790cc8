/**
 * One scratch database for a single build (try's "what the schema files make"): created on a
 * server where pgpatch may create databases, always dropped after. check builds two at once
 * and keeps its own bookkeeping for that; this is the one-database case.
 */
import { randomBytes } from 'node:crypto';
import { CheckBuildError } from '../../../errors';
import { connect, ident, withSession, type Target } from '../../db';
import { inspectDatabase, type SchemaModel } from '../inspect/index';
import { loadScript } from '../../script/load';
import type { ScriptEvent } from '../../script/execute';
import { withoutRecord } from './check';

export async function withScratchDatabase<T>(scratchUrl: string, prefix: string, fn: (db: Target) => Promise<T>): Promise<T> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin: Target = { connectionString: scratchUrl, source: 'scratch' };
  await withSession(admin, (s) => s.query(`create database ${ident(name)}`));
  try {
    const url = new URL(scratchUrl);
    url.pathname = `/${name}`;
    return await fn({ connectionString: url.toString(), source: 'scratch' });
  } finally {
    await withSession(admin, (s) => s.query(`drop database if exists ${ident(name)} with (force)`)).catch(() => undefined);
  }
}

/** The model of the database the schema files build, as check's A side (record left out). */
export async function schemaFilesModel(options: {
  scratchUrl: string; entry: string; variables?: Record<string, string>; recordSchema?: string; onEvent?: (e: ScriptEvent) => void;
}): Promise<SchemaModel> {
  return withScratchDatabase(options.scratchUrl, 'pgpatch_try', async (db) => {
    try {
      await loadScript({ target: db, entry: options.entry, variables: options.variables, onEvent: options.onEvent });
    } catch (e) {
      throw new CheckBuildError('the database from the schema files', e);
    }
    const session = await connect(db);
    try {
      return withoutRecord(await inspectDatabase(session, { exclude: [] }), options.recordSchema ?? 'public');
    } finally {
      await session.end();
    }
  });
}
