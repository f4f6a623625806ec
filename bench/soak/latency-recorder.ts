/** One window of the soak: what was asked, how long it took, what failed. */
export interface SoakWindow {
  /** Seconds since the load started, at the window's end. */
  endSecond: number;
  requests: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  byOperation: Record<string, number>;
  /** The server's resident memory at the window's end, in MB. */
  rssMb: number | null;
  /** The server's V8 heap in use at the window's end, in MB. */
  heapUsedMb: number | null;
}

/** Collects request latencies per window and over the whole run. */
export class LatencyRecorder {
  readonly windows: SoakWindow[] = [];
  readonly failures: Record<string, number> = {};
  readonly operations: Record<string, number> = {};
  #current: number[] = [];
  #currentFailed = 0;
  #currentOperations: Record<string, number> = {};
  #all: number[] = [];

  record(operation: string, ms: number, failure?: string): void {
    this.#current.push(ms);
    this.#all.push(ms);
    this.#currentOperations[operation] = (this.#currentOperations[operation] ?? 0) + 1;
    this.operations[operation] = (this.operations[operation] ?? 0) + 1;
    if (failure) {
      this.#currentFailed += 1;
      const key = `${operation}: ${failure}`;
      this.failures[key] = (this.failures[key] ?? 0) + 1;
    }
  }

  /** Closes the current window. */
  cut(endSecond: number, memory: { rssMb: number | null; heapUsedMb: number | null }): SoakWindow {
    const sorted = this.#current.sort((a, b) => a - b);
    const window = {
      endSecond,
      requests: sorted.length,
      failed: this.#currentFailed,
      p50Ms: round(percentile(sorted, 0.5)),
      p99Ms: round(percentile(sorted, 0.99)),
      maxMs: round(sorted.at(-1) ?? 0),
      byOperation: this.#currentOperations,
      ...memory,
    };
    this.windows.push(window);
    this.#current = [];
    this.#currentFailed = 0;
    this.#currentOperations = {};
    return window;
  }

  overall(): { requests: number; failed: number; p50Ms: number; p99Ms: number; maxMs: number } {
    const sorted = [...this.#all].sort((a, b) => a - b);
    return {
      requests: sorted.length,
      failed: Object.values(this.failures).reduce((sum, count) => sum + count, 0),
      p50Ms: round(percentile(sorted, 0.5)),
      p99Ms: round(percentile(sorted, 0.99)),
      maxMs: round(sorted.at(-1) ?? 0),
    };
  }
}

function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
