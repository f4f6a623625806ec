import { sql, type Kysely } from 'kysely';
import type { DatabaseSchema } from './database-schema.js';
import type { DatabaseHandle } from './open-database.js';

/** Leadership of one named duty among all processes on a database, held until released. */
export interface LeaderLock {
  /** Whether this process still leads: false once the connection that holds the lock is gone. */
  isHeld(): Promise<boolean>;
  /** Gives the leadership up and returns the connection that held it. */
  release(): Promise<void>;
}

/**
 * Tries to become the leader for `name` without waiting. On PostgreSQL this is a session advisory
 * lock taken on a connection of its own and kept until `release()`: if the process dies, the
 * connection closes and the next process to try takes over. On PGlite the database belongs to one
 * process, which always leads. Returns undefined when another process leads.
 */
export async function tryLeaderLock(database: DatabaseHandle, name: string): Promise<LeaderLock | undefined> {
  if (database.kind === 'pglite') return { isHeld: async () => true, release: async () => {} };
  const key = `narrative-mcp:leader:${name}`;
  let giveUp!: () => void;
  const givenUp = new Promise<void>((resolve) => (giveUp = resolve));
  let connection: Kysely<DatabaseSchema> | undefined;

  let acquired!: (locked: boolean) => void;
  const locked = new Promise<boolean>((resolve) => (acquired = resolve));
  const session = database.db.connection().execute(async (held) => {
    const { rows } = await sql<{ locked: boolean }>`
      select pg_try_advisory_lock(hashtextextended(${key}, 0)) as locked`.execute(held);
    if (!rows[0]?.locked) return acquired(false);
    connection = held;
    acquired(true);
    await givenUp;
    await sql`select pg_advisory_unlock(hashtextextended(${key}, 0))`.execute(held);
  });
  // A failure before the lock (no connection) is the caller's; one after it means the connection
  // died, and the lock went with it, which `isHeld` reports.
  const ended = session.then(
    () => undefined,
    () => undefined,
  );
  if (!(await Promise.race([locked, session.then(() => false)]))) return undefined;

  let lost = false;
  const release = async () => {
    lost = true;
    giveUp();
    await ended;
  };
  return {
    isHeld: async () => {
      if (lost || !connection) return false;
      try {
        // Ours while this very session holds it (a session that reconnected would not).
        const { rows } = await sql<{ held: boolean }>`
          select exists (
            select 1 from pg_locks
            where locktype = 'advisory' and pid = pg_backend_pid() and granted and objsubid = 1
              and classid::bigint = (hashtextextended(${key}, 0) >> 32) & 4294967295
              and objid::bigint = hashtextextended(${key}, 0) & 4294967295
          ) as held`.execute(connection);
        if (rows[0]?.held) return true;
      } catch {
        // The connection is gone; so is the lock.
      }
      await release();
      return false;
    },
    release,
  };
}
