import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** How often the event loop's use is looked at. */
const CHECK_MS = 5_000;
/**
 * A period whose event loop was busy less than this share of the time is idle: a timer or a
 * stray health check, not a client at work.
 */
const IDLE_UTILIZATION = 0.01;

/**
 * Consecutive idle periods before a collection: V8 judges how fast the process allocates over
 * about the last five seconds, and gives nothing back while that includes a burst of work.
 */
const IDLE_PERIODS = 2;

/**
 * Decides when an idle process should give memory back: once per idle stretch, after
 * `idlePeriods` whole periods idle (so the collection finds the process allocating slowly), and
 * not again until the process has been busy since.
 */
export class IdleTrimPolicy {
  readonly #idlePeriods: number;
  #idleSoFar = 0;

  constructor(idlePeriods = IDLE_PERIODS) {
    this.#idlePeriods = idlePeriods;
  }

  /** Told each period's event loop use (0 to 1); true when a collection should run now. */
  observe(utilization: number): boolean {
    if (utilization >= IDLE_UTILIZATION) {
      this.#idleSoFar = 0;
      return false;
    }
    this.#idleSoFar += 1;
    return this.#idleSoFar === this.#idlePeriods;
  }
}

/**
 * V8 gives the young generation's grown space and freed pages back to the system only in a
 * collection that finds the process allocating slowly, and a server waiting for its next request
 * allocates nothing, so no collection comes: the heap grown while it started (loading its modules
 * doubles the young generation several times) or while it last served stays resident for as long
 * as it waits. A local stdio server waits most of its life, and a machine may run several, so
 * once per idle stretch this runs one full collection. Returns a function that stops it.
 */
export function trimHeapWhenIdle(): () => void {
  const collect = fullCollection();
  const policy = new IdleTrimPolicy();
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const period = performance.eventLoopUtilization(now, last);
    last = now;
    if (policy.observe(period.utilization)) collect();
  }, CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * V8's `gc()`, which Node exposes only with `--expose-gc` given at start: turned on just long
 * enough to fetch it from a fresh context, so no code of the process sees a global `gc`.
 */
function fullCollection(): () => void {
  setFlagsFromString('--expose-gc');
  try {
    return runInNewContext('gc') as () => void;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
