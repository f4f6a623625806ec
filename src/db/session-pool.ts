import { PooledSession, type SessionClientOptions } from './pooled-session.js';
import { PoolAcquireTimeoutError } from './pool-acquire-timeout-error.js';

export interface SessionPoolOptions {
  size: number;
  client: SessionClientOptions;
  /** Longest wait for a free session before `acquire` fails with `PoolAcquireTimeoutError`. */
  acquireTimeoutMs: number;
  /** How many distinct statements each session's connection keeps prepared (`PooledSession.prepares`); 0 prepares none. */
  preparedStatements?: number;
}

interface Waiter {
  grant(session: PooledSession): void;
  refuse(error: Error): void;
}

/** A fixed number of `PooledSession`s, lent out one holder at a time, first come first served. */
export class SessionPool {
  readonly #sessions: PooledSession[];
  readonly #idle: PooledSession[];
  readonly #waiters: Waiter[] = [];
  readonly #acquireTimeoutMs: number;
  #ended = false;

  constructor(url: string, options: SessionPoolOptions) {
    this.#sessions = Array.from({ length: options.size }, () => new PooledSession(url, options.client, options.preparedStatements));
    this.#idle = [...this.#sessions];
    this.#acquireTimeoutMs = options.acquireTimeoutMs;
  }

  acquire(): Promise<PooledSession> {
    if (this.#ended) return Promise.reject(poolEnded());
    const idle = this.#idle.pop();
    if (idle) return Promise.resolve(idle);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new PoolAcquireTimeoutError(this.#acquireTimeoutMs));
      }, this.#acquireTimeoutMs);
      const waiter: Waiter = {
        grant: (session) => {
          clearTimeout(timer);
          resolve(session);
        },
        refuse: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.#waiters.push(waiter);
    });
  }

  /** Takes a session back; one whose session was lost gets a new connection first. */
  release(session: PooledSession, lost: boolean): void {
    session.onClose = undefined;
    if (lost) session.renew();
    const waiter = this.#waiters.shift();
    if (waiter) waiter.grant(session);
    else this.#idle.push(session);
  }

  /** Refuses whoever waits and ends every session once its statement in progress, if any, is done. */
  async end(): Promise<void> {
    this.#ended = true;
    for (const waiter of this.#waiters.splice(0)) waiter.refuse(poolEnded());
    await Promise.all(this.#sessions.map((session) => session.end()));
  }
}

function poolEnded(): Error {
  return Object.assign(new Error('the database pool has been closed'), { code: 'CONNECTION_ENDED' });
}
