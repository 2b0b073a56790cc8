/**
 * Read-only sessions for reading the records of a fleet (showmigrations, and the look migrate
 * takes at tenants before it runs): one per target, or, for the schemas of one database, a few
 * kept and reused (no more than the jobs that use them at once), so that a thousand tenants
 * do not cost a thousand connections.
 */
import { connect, defaultApplicationName, type Session } from '../db';
import { inReadOnlyTransaction } from '../patches/pooler';
import type { FleetTarget } from './types';

export interface ReadSessions {
  /**
   * `fn` in a READ ONLY transaction of a session to the target's database (nothing is set for
   * the session: through a pooler it would outlive the command). A failure to connect is thrown
   * (ConnectionError).
   */
  use<T>(target: FleetTarget, fn: (s: Session) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const applicationName = () => `${defaultApplicationName()} (fleet)`;

function open(target: FleetTarget): Promise<Session> {
  return connect(target.target, { applicationName: applicationName() });
}

/** A session per target, ended after it. */
export function sessionPerTarget(): ReadSessions {
  return {
    use: async (target, fn) => {
      const session = await open(target);
      try {
        return await inReadOnlyTransaction(session, () => fn(session));
      } finally {
        await session.end();
      }
    },
    close: async () => undefined,
  };
}

/**
 * Sessions to the one database of a schema fleet, reused from target to target. A session
 * whose use failed is ended, not reused (its connection may be gone).
 */
export function sharedSessions(): ReadSessions {
  const idle: Session[] = [];
  const all = new Set<Session>();
  return {
    use: async (target, fn) => {
      let session = idle.pop();
      if (!session) {
        session = await open(target);
        all.add(session);
      }
      try {
        const r = await inReadOnlyTransaction(session, () => fn(session!));
        idle.push(session);
        return r;
      } catch (e) {
        all.delete(session);
        await session.end();
        throw e;
      }
    },
    close: async () => {
      idle.length = 0;
      await Promise.all([...all].map((s) => s.end()));
      all.clear();
    },
  };
}
