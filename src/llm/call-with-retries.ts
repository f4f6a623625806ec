import type { Clock } from '../clock/clock.js';
import { MINUTE_MS } from '../clock/durations.js';
import { isNetworkError } from './is-network-error.js';
import { LlmError } from './llm-error.js';

/** How hard to try one call. */
export interface RetryPolicy {
  /** Attempts after the first; 0 means a single attempt. */
  maxRetries: number;
  /** The hard limit of one attempt, measured on the clock. */
  timeoutMs: number;
  /** The backoff ceiling before the first retry; it doubles with each further retry. */
  baseDelayMs: number;
  /** The backoff ceiling never grows past this. */
  maxDelayMs: number;
}

/** The longest wait a server's retry delay can impose on us before the next attempt. */
const MAX_SERVER_RETRY_DELAY_MS = MINUTE_MS;
/** Why an attempt's timer stops: one reason for all, since `abort()` without one makes a DOMException each time. */
const ATTEMPT_SETTLED = new Error('the attempt settled');

export interface CallWithRetriesOptions {
  /** Cancels everything at once: the attempt in flight and any wait before the next. */
  signal?: AbortSignal;
  /** Called before each wait for a retry, with the error that caused it and the attempt that failed (1-based). */
  onRetry?: (error: LlmError, attempt: number, delayMs: number) => void;
  /** Source of jitter in [0, 1); tests may pin it. */
  random?: () => number;
}

/**
 * Runs `attempt` until it succeeds, with a hard timeout on each try (measured on `clock`, which
 * aborts the attempt's signal) and exponential backoff with full jitter between tries, never
 * sooner than the server asked. Only retryable `LlmError`s and network failures are retried;
 * anything else is a bug and is rethrown as it is.
 */
export async function callWithRetries<T>(
  attempt: (signal: AbortSignal) => Promise<T>,
  policy: RetryPolicy,
  clock: Clock,
  options: CallWithRetriesOptions = {},
): Promise<T> {
  const { signal, onRetry, random = Math.random } = options;
  for (let attemptNumber = 1; ; attemptNumber += 1) {
    if (signal?.aborted) throw cancelled(signal);
    let error: LlmError;
    try {
      return await runAttempt(attempt, policy.timeoutMs, clock, signal);
    } catch (caught) {
      error = asLlmError(caught);
    }
    if (signal?.aborted) throw cancelled(signal);
    if (error.kind === 'aborted') throw error;
    if (!error.retryable || attemptNumber > policy.maxRetries) {
      const attempts = `${attemptNumber} attempt${attemptNumber === 1 ? '' : 's'}`;
      throw new LlmError(error.kind, `${error.message} (gave up after ${attempts})`, { ...error.options, cause: error });
    }
    const delayMs = backoffMs(policy, attemptNumber, error.retryAfterMs, random);
    onRetry?.(error, attemptNumber, delayMs);
    try {
      await clock.sleep(delayMs, signal);
    } catch {
      throw cancelled(signal!);
    }
  }
}

async function runAttempt<T>(
  attempt: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  clock: Clock,
  outer: AbortSignal | undefined,
): Promise<T> {
  const controller = new AbortController();
  const timer = new AbortController();
  let onOuterAbort = (): void => {};
  const outerAborted = new Promise<never>((_, reject) => {
    onOuterAbort = () => {
      controller.abort(outer!.reason);
      reject(cancelled(outer!));
    };
    outer?.addEventListener('abort', onOuterAbort, { once: true });
  });
  const timedOut = clock.sleep(timeoutMs, timer.signal).then((): never => {
    controller.abort(new DOMException(`The LLM call took longer than ${timeoutMs} ms`, 'TimeoutError'));
    throw new LlmError('timeout', `The LLM call took longer than ${timeoutMs} ms and was abandoned`);
  });
  const work = Promise.resolve().then(() => attempt(controller.signal));
  // Whichever loses the race settles later; nobody must hear about it.
  for (const loser of [outerAborted, timedOut, work]) loser.catch(() => {});
  try {
    return await Promise.race([work, timedOut, outerAborted]);
  } finally {
    timer.abort(ATTEMPT_SETTLED);
    outer?.removeEventListener('abort', onOuterAbort);
  }
}

function asLlmError(error: unknown): LlmError {
  if (error instanceof LlmError) return error;
  if (isNetworkError(error)) {
    return new LlmError('network', `The LLM could not be reached: ${(error as Error).message}`, { cause: error });
  }
  throw error;
}

function cancelled(signal: AbortSignal): LlmError {
  return new LlmError('aborted', 'The LLM call was cancelled', { cause: signal.reason });
}

/** Full jitter: anywhere up to the doubled ceiling, but never before the server's own retry delay. */
function backoffMs(policy: RetryPolicy, failedAttempt: number, retryAfterMs: number | undefined, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failedAttempt - 1));
  const jittered = Math.floor(random() * ceiling);
  const serverDelay = Math.min(retryAfterMs ?? 0, MAX_SERVER_RETRY_DELAY_MS);
  return Math.max(jittered, serverDelay);
}
