import type { Clock } from '../clock/clock.js';
import { MINUTE_MS } from '../clock/durations.js';

interface Waiter {
  readonly priority: number;
  grant(): void;
}

/**
 * At most `perMinute` calls in any sliding minute, in one process. Callers beyond that wait, and
 * the next free slot goes to the waiter of the highest priority (first come, first served among
 * equals), so a person waiting is not queued behind background work.
 */
export class CallRateLimiter {
  /** When the calls of the last minute started, oldest first. */
  #starts: number[] = [];
  /** Highest priority first; in arrival order within a priority. */
  readonly #waiters: Waiter[] = [];
  /** Cancels the wait for the oldest call to leave the window, while one is set. */
  #wake: AbortController | undefined;

  constructor(
    private readonly perMinute: number,
    private readonly clock: Clock,
  ) {}

  /**
   * Waits for a slot and takes it; a higher `priority` is served first. An aborted wait leaves
   * the queue and rejects with the signal's reason.
   */
  acquire(priority: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#waiters.length === 0 && this.#take()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(signal!.reason);
        this.#serve();
      };
      const waiter: Waiter = {
        priority,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const behind = this.#waiters.findIndex((other) => other.priority < priority);
      this.#waiters.splice(behind === -1 ? this.#waiters.length : behind, 0, waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#serve();
    });
  }

  /** Takes a slot if the last minute has one free. */
  #take(): boolean {
    const now = this.clock.now();
    while (this.#starts.length > 0 && now - this.#starts[0]! >= MINUTE_MS) this.#starts.shift();
    if (this.#starts.length >= this.perMinute) return false;
    this.#starts.push(now);
    return true;
  }

  /** Grants the free slots in queue order, then sleeps until the next one frees while anyone waits. */
  #serve(): void {
    while (this.#waiters.length > 0 && this.#take()) this.#waiters.shift()!.grant();
    if (this.#waiters.length === 0) {
      this.#wake?.abort();
      this.#wake = undefined;
      return;
    }
    if (this.#wake) return;
    const wake = new AbortController();
    this.#wake = wake;
    this.clock.sleep(this.#starts[0]! + MINUTE_MS - this.clock.now(), wake.signal).then(
      () => {
        if (this.#wake !== wake) return;
        this.#wake = undefined;
        this.#serve();
      },
      () => undefined,
    );
  }
}
