import { ManualClock } from './manual-clock.js';

/** A manual clock that can say when its next sleeper wakes, so a test can step time from deadline to deadline. */
export class SteppingClock extends ManualClock {
  readonly #deadlines = new Map<symbol, number>();

  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const id = Symbol('sleep');
    this.#deadlines.set(id, this.now() + Math.max(0, ms));
    return super.sleep(ms, signal).finally(() => this.#deadlines.delete(id));
  }

  /** When the earliest pending sleep is due, or undefined when nothing sleeps. */
  get nextDeadline(): number | undefined {
    return this.#deadlines.size === 0 ? undefined : Math.min(...this.#deadlines.values());
  }
}
