import type { ServerMemory } from './server-memory.js';

/** One window of the soak: what was asked, how long it took, what failed, and the server's memory at its end. */
export interface SoakWindow extends ServerMemory {
  /** Seconds since the load started, at the window's end. */
  endSecond: number;
  requests: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  byOperation: Record<string, number>;
  /** V8 heap allocated per request in the window (all the server's work, background work included), in kB. */
  allocatedKbPerRequest: number | null;
  /** The server's CPU time per request in the window, in ms. */
  cpuMsPerRequest: number | null;
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
  #cpuSeconds: number | null = null;

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
  cut(endSecond: number, memory: ServerMemory): SoakWindow {
    const sorted = this.#current.sort((a, b) => a - b);
    const window: SoakWindow = {
      endSecond,
      requests: sorted.length,
      failed: this.#currentFailed,
      p50Ms: round(percentile(sorted, 0.5)),
      p99Ms: round(percentile(sorted, 0.99)),
      maxMs: round(sorted.at(-1) ?? 0),
      byOperation: this.#currentOperations,
      ...memory,
      allocatedKbPerRequest: memory.allocatedMb === null || sorted.length === 0 ? null : Math.round((memory.allocatedMb * 1000) / sorted.length),
      cpuMsPerRequest:
        memory.cpuSeconds === null || this.#cpuSeconds === null || sorted.length === 0
          ? null
          : Math.round(((memory.cpuSeconds - this.#cpuSeconds) * 1e5) / sorted.length) / 100,
    };
    this.#cpuSeconds = memory.cpuSeconds;
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
