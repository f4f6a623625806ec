import type { Clock } from '../../src/clock/clock.js';
import { until } from './until.js';

interface Sleeper {
  wakeAt: number;
  resolve: () => void;
}

/** A clock that moves only when a test advances it; sleepers wake in deadline order. */
export class ManualClock implements Clock {
  #now: number;
  #sleepers: Sleeper[] = [];

  constructor(start: Date | number = Date.UTC(2026, 0, 1)) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#sleepers = this.#sleepers.filter((other) => other !== sleeper);
        reject(signal!.reason);
      };
      // A long-lived signal (a runner's shutdown signal) must not collect a listener per finished sleep.
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const sleeper: Sleeper = { wakeAt: this.#now + Math.max(0, ms), resolve: wake };
      this.#sleepers.push(sleeper);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** How many sleeps are waiting: lets a test wait until code under test has started one. */
  get pendingSleeps(): number {
    return this.#sleepers.length;
  }

  /** Moves time forward, waking every sleeper whose deadline has come, with the microtasks between. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      const next = this.#sleepers.filter((sleeper) => sleeper.wakeAt <= target).sort((a, b) => a.wakeAt - b.wakeAt)[0];
      if (!next) break;
      this.#now = Math.max(this.#now, next.wakeAt);
      this.#sleepers = this.#sleepers.filter((sleeper) => sleeper !== next);
      next.resolve();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.#now = target;
  }

  /**
   * Drives time for code that sleeps between real I/O (retries, backoff): whenever a sleeper is
   * due within `horizonMs`, jumps to its deadline; longer sleeps (timeouts, waits) are never
   * reached. Returns once `work` settles.
   */
  async advanceUntilSettled<T>(work: Promise<T>, horizonMs: number): Promise<T> {
    let settled = false;
    const watched = work.finally(() => (settled = true));
    watched.catch(() => undefined);
    const nextDue = () => {
      const next = Math.min(...this.#sleepers.map((sleeper) => sleeper.wakeAt));
      return next - this.#now <= horizonMs ? next : undefined;
    };
    while (!settled) {
      await until(() => settled || nextDue() !== undefined);
      const due = nextDue();
      if (!settled && due !== undefined) await this.advance(due - this.#now);
    }
    return watched;
  }

  set(time: Date | number): void {
    this.#now = typeof time === 'number' ? time : time.getTime();
  }
}
