import { sql, type Kysely } from 'kysely';
import type { DatabaseSchema } from './database-schema.js';

export type LockOutcome<T> = { acquired: true; value: T } | { acquired: false };

/** Runs `work` while holding a per-user lock, or reports that another holder has it. */
export type UserLock = <T>(userId: string, work: () => Promise<T>) => Promise<LockOutcome<T>>;

/**
 * A PostgreSQL session advisory lock per user, shared by every process on the database. It is
 * taken on a connection of its own, so `work` may use the pool freely; if the process dies the
 * connection closes and the lock goes with it.
 */
export function advisoryUserLock(db: Kysely<DatabaseSchema>): UserLock {
  return (userId, work) =>
    db.connection().execute(async (connection) => {
      const key = `narrative-mcp:user:${userId}`;
      const { rows } = await sql<{ locked: boolean }>`
        select pg_try_advisory_lock(hashtextextended(${key}, 0)) as locked`.execute(connection);
      if (!rows[0]?.locked) return { acquired: false };
      try {
        return { acquired: true, value: await work() };
      } finally {
        await sql`select pg_advisory_unlock(hashtextextended(${key}, 0))`.execute(connection);
      }
    });
}

/** PGlite belongs to one process, whose own single-flight already keeps one job per user. */
export const inProcessUserLock: UserLock = async (_userId, work) => ({ acquired: true, value: await work() });
