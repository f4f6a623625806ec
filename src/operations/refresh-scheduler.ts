import type { App } from '../app/app.js';
import type { LeaderLock } from '../db/leader-lock.js';
import { runRefreshPass, type RefreshPassOptions, type RefreshSummary } from './refresh-pass.js';

const LEADER_LOCK = 'narrative-refresh';

export interface RefreshSchedulerOptions extends Omit<RefreshPassOptions, 'signal' | 'onUser'> {
  /** Time between passes, before jitter. */
  intervalMs: number;
  /** Each wait is the interval times a random factor within 1 ± jitter (default 0.2); the first is at most jitter × interval. */
  jitter?: number;
  /** Random numbers in [0, 1) for the jitter (tests pass their own). */
  random?: () => number;
  /** Called after each tick: whether this process led, and the pass it ran if it did. */
  onTick?: (tick: RefreshTick) => void;
}

export type RefreshTick = { leader: true; summary: RefreshSummary } | { leader: false } | { leader: boolean; error: unknown };

export interface RefreshScheduler {
  /** Stops the scheduler: a pass in progress stops asking for users, and the leadership is given up. */
  stop(): Promise<void>;
}

/**
 * Runs a refresh pass every interval (with jitter) in this process when it is the leader: on
 * PostgreSQL exactly one process among those sharing the database leads, through a session
 * advisory lock held between passes (when the leader dies, another takes over at its next
 * tick); on PGlite this process simply runs. Time comes from the app's clock.
 */
export function startRefreshScheduler(app: App, options: RefreshSchedulerOptions): RefreshScheduler {
  const jitter = options.jitter ?? 0.2;
  const random = options.random ?? Math.random;
  if (!(options.intervalMs > 0)) throw new Error(`the refresh interval must be positive; got ${options.intervalMs} ms`);
  if (!(jitter >= 0 && jitter < 1)) throw new Error(`the refresh jitter must be at least 0 and below 1; got ${jitter}`);
  const stopping = new AbortController();
  const logger = app.logger.child({ component: 'refresh-scheduler' });
  const pass = { horizonHours: options.horizonHours, activeDays: options.activeDays, limit: options.limit };

  const loop = async () => {
    let lease: LeaderLock | undefined;
    let wait = options.intervalMs * jitter * random();
    try {
      for (;;) {
        await app.clock.sleep(wait, stopping.signal);
        wait = options.intervalMs * (1 + jitter * (2 * random() - 1));
        try {
          if (lease && !(await lease.isHeld())) {
            logger.warn('lost the refresh leadership (its database connection closed)');
            lease = undefined;
          }
          if (!lease) {
            lease = await app.database.tryLeaderLock(LEADER_LOCK);
            if (lease) logger.info('this process now leads the proactive refresh');
          }
          if (!lease) {
            logger.debug('another process leads the refresh');
            options.onTick?.({ leader: false });
            continue;
          }
          const summary = await runRefreshPass(app, { ...pass, signal: stopping.signal });
          logger.info({ ...summary, failures: summary.failures.slice(0, 20) }, 'refresh pass finished');
          options.onTick?.({ leader: true, summary });
        } catch (error) {
          if (stopping.signal.aborted) break;
          logger.error({ err: error }, 'refresh pass failed; trying again at the next interval');
          options.onTick?.({ leader: lease !== undefined, error });
        }
      }
    } catch (error) {
      if (!stopping.signal.aborted) throw error;
    } finally {
      await lease?.release();
    }
  };
  const running = loop().catch((error: unknown) => logger.error({ err: error }, 'the refresh scheduler stopped unexpectedly'));
  logger.info({ intervalMs: options.intervalMs, jitter, ...pass, database: app.database.kind }, 'refresh scheduler started');

  return {
    stop: async () => {
      stopping.abort(new Error('refresh scheduler stopped'));
      await running;
    },
  };
}
