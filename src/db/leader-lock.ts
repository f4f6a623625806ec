import postgres from 'postgres';

/** Leadership of one named duty among all processes on a database, held until released. */
export interface LeaderLock {
  /** Whether this process still leads: false once the session that holds the lock has ended. */
  isHeld(): Promise<boolean>;
  /** Gives the leadership up. */
  release(): Promise<void>;
}

/** Tries to become the leader for a duty without waiting; undefined when another process leads. */
export type TryLeaderLock = (name: string) => Promise<LeaderLock | undefined>;

/**
 * A PostgreSQL session advisory lock per duty, held by a session of its own: a one-connection
 * client outside the pool, so a leader that dies (or whose connection is cut) loses the lock
 * with its session and the next process to try takes over. Not a reserved pool connection:
 * postgres.js puts a reserved connection whose session has ended back into the pool, where the
 * next query on it throws an uncaught error.
 */
export function advisoryLeaderLock(url: string, onNotice: (message: string) => void): TryLeaderLock {
  return async (name) => {
    const key = `narrative-mcp:leader:${name}`;
    const session = postgres(url, {
      max: 1,
      // Kept for as long as it leads: no idle or lifetime limit may end the session that holds the lock.
      idle_timeout: 0,
      max_lifetime: null,
      onnotice: (notice) => onNotice(String(notice.message)),
      connection: { application_name: 'narrative-mcp leader' },
    });
    let pid: number;
    try {
      const [row] = await session<{ locked: boolean; pid: number }[]>`
        select pg_try_advisory_lock(hashtextextended(${key}, 0)) as locked, pg_backend_pid() as pid`;
      if (!row?.locked) {
        await session.end();
        return undefined;
      }
      pid = row.pid;
    } catch (error) {
      await session.end({ timeout: 0 });
      throw error;
    }
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      // Ending the session releases its advisory locks.
      await session.end({ timeout: 5 });
    };
    return {
      isHeld: async () => {
        if (released) return false;
        try {
          // A session that was cut and reconnected has another pid, and no lock.
          const [row] = await session<{ held: boolean }[]>`
            select pg_backend_pid() = ${pid} and exists (
              select 1 from pg_locks
              where locktype = 'advisory' and granted and pid = pg_backend_pid() and objsubid = 1
                and classid::bigint = (hashtextextended(${key}, 0) >> 32) & 4294967295
                and objid::bigint = hashtextextended(${key}, 0) & 4294967295
            ) as held`;
          if (row?.held) return true;
        } catch {
          // The session is gone, and the lock with it.
        }
        await release();
        return false;
      },
      release,
    };
  };
}

/** PGlite belongs to one process, which always leads. */
export const inProcessLeaderLock: TryLeaderLock = async () => ({ isHeld: async () => true, release: async () => {} });
