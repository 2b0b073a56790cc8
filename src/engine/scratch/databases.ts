/**
 * Scratch databases on a server where pgpatch may create and drop databases: check builds its
 * two sides in them, try, diff and the makemigrations draft their schema files. Every name is listed before its CREATE DATABASE is sent, and dropping waits
 * for a CREATE in flight, so a Ctrl-C that arrives while the server creates one cannot leave it
 * behind.
 */
import { randomBytes } from 'node:crypto';
import { quoteIdent } from '../../quote';
import { onDatabase, type Target } from '../../target';
import { withSession } from '../db';

export class ScratchDatabases {
  readonly prefix: string;
  private readonly created: string[] = [];
  private readonly creating = new Set<Promise<unknown>>();
  /** Set once dropAll has started: no database is created after it. */
  stopped = false;

  /**
   * `server`: the scratch server, on a database that is there (`postgres`). `onLeftover`: databases that
   * could not be dropped (the server went away), for the user to drop by hand.
   */
  constructor(
    private readonly server: Target,
    prefix: string,
    private readonly onLeftover: (databases: string[], error: string) => void,
  ) {
    this.prefix = `${prefix}_${randomBytes(4).toString('hex')}`;
  }

  /**
   * Creates `<prefix>_<suffix>` and returns its target; refuses once dropAll has started.
   * `announce` hears the name and where it is (password masked) before the CREATE is sent.
   */
  async create(suffix: string, announce: (name: string, where: string) => void = () => undefined): Promise<Target> {
    if (this.stopped) throw new Error('interrupted');
    const name = `${this.prefix}_${suffix}`;
    this.created.push(name);
    announce(name, this.targetOf(name).display);
    const creation = withSession(this.server, (s) => s.query(`create database ${quoteIdent(name)}`));
    this.creating.add(creation);
    try {
      await creation;
    } finally {
      this.creating.delete(creation);
    }
    return this.targetOf(name);
  }

  /** Drops every database made so far (forcing out the sessions still in them). */
  async dropAll(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.creating]);
    if (!this.created.length) return;
    const names = this.created.splice(0);
    const left: string[] = [];
    let error = '';
    await withSession(this.server, async (s) => {
      for (const db of names) {
        try {
          await s.query(`drop database if exists ${quoteIdent(db)} with (force)`);
        } catch (e) {
          left.push(db);
          error ||= (e as Error).message;
        }
      }
    }).catch((e) => {
      for (const db of names) if (!left.includes(db)) left.push(db);
      error ||= (e as Error).message;
    });
    if (left.length) this.onLeftover(left, error);
  }

  private targetOf(name: string): Target {
    return onDatabase(this.server, name, 'scratch');
  }
}

/** Runs `fn` on one scratch database made for it (`<prefix>_<hex>_db`), dropped afterwards whatever happens. */
export async function withScratchDatabase<T>(server: Target, prefix: string, fn: (db: Target) => Promise<T>): Promise<T> {
  const scratch = new ScratchDatabases(server, prefix, () => undefined);
  try {
    return await fn(await scratch.create('db'));
  } finally {
    await scratch.dropAll();
  }
}
