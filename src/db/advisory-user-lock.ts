import { CompiledQuery } from 'kysely';
import type { Logger } from 'pino';
import { GuardedConnection } from './guarded-connection.js';
import type { SessionPool } from './session-pool.js';

export type LockOutcome<T> = { acquired: true; value: T } | { acquired: false };

/** Runs `work` while holding a per-user lock, or reports that another holder has it. */
export type UserLock = <T>(userId: string, work: () => Promise<T>) => Promise<LockOutcome<T>>;

/**
 * A PostgreSQL session advisory lock per user, shared by every process on the database. It is
 * taken on a pooled session of its own, so `work` may use the pool freely; if the process dies the
 * connection closes and the lock goes with it.
 *
 * Once `work` has finished, its result stands whatever becomes of the unlock: a failed unlock is
 * logged and its session is closed rather than lent again, since it may still hold the lock
 * (closing it releases the lock; a session already lost took the lock with it).
 */
export function advisoryUserLock(pool: SessionPool, logger?: Logger): UserLock {
  return async (userId, work) => {
    const key = `narrative-mcp:user:${userId}`;
    const connection = new GuardedConnection(await pool.acquire());
    let unlockFailed = false;
    try {
      const { rows } = await connection.executeQuery<{ locked: boolean }>(
        CompiledQuery.raw('select pg_try_advisory_lock(hashtextextended($1, 0)) as locked', [key]),
      );
      if (!rows[0]?.locked) return { acquired: false };
      try {
        return { acquired: true, value: await work() };
      } finally {
        try {
          await connection.executeQuery(CompiledQuery.raw('select pg_advisory_unlock(hashtextextended($1, 0))', [key]));
        } catch (error) {
          unlockFailed = true;
          logger?.warn({ err: error, userId }, "could not release the user's lock; its connection is closed instead, which releases it");
        }
      }
    } finally {
      pool.release(connection.session, unlockFailed || connection.isLost);
    }
  };
}

/** PGlite belongs to one process, whose own single-flight already keeps one job per user. */
export const inProcessUserLock: UserLock = async (_userId, work) => ({ acquired: true, value: await work() });
