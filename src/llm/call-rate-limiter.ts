import type { Clock } from '../clock/clock.js';

const WINDOW_MS = 60_000;

/** At most `perMinute` calls in any sliding minute; callers beyond that wait their turn. */
export class CallRateLimiter {
  #starts: number[] = [];
  #tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly perMinute: number,
    private readonly clock: Clock,
  ) {}

  /** Waits for a slot (first come, first served) and takes it. */
  acquire(signal?: AbortSignal): Promise<void> {
    const turn = this.#tail.then(() => this.#waitForSlot(signal));
    this.#tail = turn.catch(() => undefined);
    return turn;
  }

  async #waitForSlot(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.clock.now();
      this.#starts = this.#starts.filter((start) => now - start < WINDOW_MS);
      if (this.#starts.length < this.perMinute) {
        this.#starts.push(now);
        return;
      }
      await this.clock.sleep(this.#starts[0]! + WINDOW_MS - now, signal);
    }
  }
}
