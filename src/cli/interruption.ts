import { constants } from 'node:os';

export interface Interruption {
  /** Aborted at the first SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** The first signal received, if any. */
  readonly received: NodeJS.Signals | undefined;
  /** The conventional exit code for it: 128 + the signal number (130 for SIGINT, 143 for SIGTERM). */
  readonly exitCode: number | undefined;
  /** Stops listening: the signals' default behaviour comes back. */
  dispose(): void;
}

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/**
 * Turns SIGINT/SIGTERM into a graceful stop for a long command: the first one aborts `signal`
 * and calls `first`; any later one calls `again` (e.g. to abandon work still in flight).
 */
export function watchInterruption(handlers: { first: (name: NodeJS.Signals) => void; again: (name: NodeJS.Signals) => void }): Interruption {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const listener = (name: NodeJS.Signals) => {
    if (received === undefined) {
      received = name;
      controller.abort(new Error(`interrupted by ${name}`));
      handlers.first(name);
    } else {
      handlers.again(name);
    }
  };
  for (const name of SIGNALS) process.on(name, listener);
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    get exitCode() {
      return received === undefined ? undefined : 128 + constants.signals[received];
    },
    dispose: () => {
      for (const name of SIGNALS) process.off(name, listener);
    },
  };
}
