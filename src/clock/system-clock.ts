import type { Clock } from './clock.js';

export const systemClock: Clock = {
  now: () => Date.now(),
  // Not `timers/promises`: it rejects with a new AbortError, whose stack costs more than the sleep
  // itself, and every generation ends two sleeps early.
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason as Error);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};
