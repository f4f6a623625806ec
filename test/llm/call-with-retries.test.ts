import { describe, expect, it } from 'vitest';
import { callWithRetries } from '../../src/llm/call-with-retries.js';
import { LlmError, type LlmErrorKind } from '../../src/llm/llm-error.js';
import { ManualClock } from '../support/manual-clock.js';

const policy: Parameters<typeof callWithRetries>[1] = { maxRetries: 3, timeoutMs: 10_000, baseDelayMs: 1_000, maxDelayMs: 30_000 };

/** What an attempt does: answer with a string, fail with an error, or (`'hang'`) never end until aborted. */
type Step = string | Error;

/** An attempt function that plays `steps` in order, recording the signal each attempt got. */
function scripted(...steps: Step[]) {
  const signals: AbortSignal[] = [];
  const attempt = (signal: AbortSignal): Promise<string> => {
    signals.push(signal);
    const step = steps.shift() ?? expect.fail('more attempts than scripted');
    if (step === 'hang') {
      // Like a real request: it only ends when its signal is aborted.
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
    }
    return step instanceof Error ? Promise.reject(step) : Promise.resolve(step);
  };
  return { attempt, signals, get calls() { return signals.length; } };
}

/** Lets every pending promise callback run (one turn of the event loop; no time passes). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Records what `callWithRetries` reports before each wait. */
function retryLog() {
  const retries: { kind: LlmErrorKind; attempt: number; delayMs: number }[] = [];
  const onRetry = (error: LlmError, attempt: number, delayMs: number) => retries.push({ kind: error.kind, attempt, delayMs });
  return { retries, onRetry };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('the call succeeded'),
    (error: unknown) => error,
  );
}

describe('callWithRetries', () => {
  it('retries a rate-limited call after the backoff and returns the next success', async () => {
    const clock = new ManualClock();
    const { retries, onRetry } = retryLog();
    const attempts = scripted(new LlmError('rate_limited', 'slow down', { status: 429 }), 'the narrative');

    const result = callWithRetries(attempts.attempt, policy, clock, { onRetry, random: () => 0.5 });
    await settle();

    expect(attempts.calls).toBe(1);
    expect(retries).toEqual([{ kind: 'rate_limited', attempt: 1, delayMs: 500 }]);
    expect(clock.pendingSleeps).toBe(1);
    await clock.advance(499);
    expect(attempts.calls).toBe(1);
    await clock.advance(1);
    await expect(result).resolves.toBe('the narrative');
    expect(attempts.calls).toBe(2);
    expect(clock.pendingSleeps).toBe(0);
  });

  it("does not retry before the server's retry delay has passed", async () => {
    const clock = new ManualClock();
    const attempts = scripted(new LlmError('rate_limited', 'quota', { retryAfterMs: 2_000 }), 'ok');

    const result = callWithRetries(attempts.attempt, policy, clock, { random: () => 0.99 });
    await settle();

    expect(clock.pendingSleeps).toBe(1);
    await clock.advance(1_999);
    expect(attempts.calls).toBe(1);
    await clock.advance(1);
    await expect(result).resolves.toBe('ok');
    expect(attempts.calls).toBe(2);
  });

  it('waits no longer than a minute however long the server asks', async () => {
    const clock = new ManualClock();
    const { retries, onRetry } = retryLog();
    const attempts = scripted(new LlmError('rate_limited', 'quota', { retryAfterMs: 3_600_000 }), 'ok');

    const result = callWithRetries(attempts.attempt, policy, clock, { onRetry, random: () => 0 });
    await settle();
    await clock.advance(60_000);

    await expect(result).resolves.toBe('ok');
    expect(retries[0]!.delayMs).toBe(60_000);
  });

  it('doubles the backoff ceiling after each failure, up to maxDelayMs', async () => {
    const clock = new ManualClock();
    const { retries, onRetry } = retryLog();
    const failure = () => new LlmError('server_error', 'unavailable', { status: 503 });
    const attempts = scripted(failure(), failure(), failure(), failure(), failure(), 'ok');

    const result = callWithRetries(attempts.attempt, { ...policy, maxRetries: 5, maxDelayMs: 5_000 }, clock, {
      onRetry,
      random: () => 0.999,
    });
    while (attempts.calls < 6) {
      await settle();
      await clock.advance(5_000);
    }

    await expect(result).resolves.toBe('ok');
    expect(retries.map((retry) => retry.delayMs)).toEqual([999, 1_998, 3_996, 4_995, 4_995]);
    expect(retries.map((retry) => retry.attempt)).toEqual([1, 2, 3, 4, 5]);
  });

  it('gives up after maxRetries with the last error, saying how many attempts were made', async () => {
    const clock = new ManualClock();
    const last = new LlmError('server_error', 'attempt 4 failed', { status: 500 });
    const attempts = scripted(
      new LlmError('server_error', 'attempt 1 failed'),
      new LlmError('timeout', 'attempt 2 failed'),
      new LlmError('network', 'attempt 3 failed'),
      last,
    );

    const result = rejectionOf(callWithRetries(attempts.attempt, policy, clock, { random: () => 0 }));
    for (let retry = 0; retry < policy.maxRetries; retry += 1) {
      await settle();
      await clock.advance(0);
    }

    const error = (await result) as LlmError;
    expect(error).toBeInstanceOf(LlmError);
    expect(error.kind).toBe('server_error');
    expect(error.message).toBe('attempt 4 failed (gave up after 4 attempts)');
    expect(error.options.status).toBe(500);
    expect(error.cause).toBe(last);
    expect(attempts.calls).toBe(4);
    expect(clock.pendingSleeps).toBe(0);
  });

  it.each<LlmErrorKind>(['unauthorized', 'blocked', 'bad_request', 'invalid_output'])('does not retry %s', async (kind) => {
    const clock = new ManualClock();
    const { retries, onRetry } = retryLog();
    const attempts = scripted(new LlmError(kind, 'no'), 'never');

    const error = (await rejectionOf(callWithRetries(attempts.attempt, policy, clock, { onRetry }))) as LlmError;

    expect(error.kind).toBe(kind);
    expect(error.message).toBe('no (gave up after 1 attempt)');
    expect(attempts.calls).toBe(1);
    expect(retries).toEqual([]);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('abandons an attempt at its timeout, aborting its signal, and retries it', async () => {
    const clock = new ManualClock();
    const { retries, onRetry } = retryLog();
    const attempts = scripted('hang', 'ok');

    const result = callWithRetries(attempts.attempt, policy, clock, { onRetry, random: () => 0 });
    await settle();
    expect(clock.pendingSleeps).toBe(1);
    await clock.advance(9_999);
    expect(attempts.signals[0]!.aborted).toBe(false);
    expect(retries).toEqual([]);

    await clock.advance(1);

    expect(attempts.signals[0]!.aborted).toBe(true);
    expect((attempts.signals[0]!.reason as Error).name).toBe('TimeoutError');
    expect(retries).toEqual([{ kind: 'timeout', attempt: 1, delayMs: 0 }]);
    await clock.advance(0);
    await expect(result).resolves.toBe('ok');
    expect(attempts.calls).toBe(2);
  });

  it('reports a timeout when every attempt hangs', async () => {
    const clock = new ManualClock();
    const attempts = scripted('hang', 'hang');

    const result = rejectionOf(callWithRetries(attempts.attempt, { ...policy, maxRetries: 1 }, clock, { random: () => 0 }));
    await settle();
    await clock.advance(10_000);
    await clock.advance(10_000);

    const error = (await result) as LlmError;
    expect(error.kind).toBe('timeout');
    expect(error.message).toContain('gave up after 2 attempts');
    expect(attempts.signals.every((signal) => signal.aborted)).toBe(true);
  });

  it('retries network failures thrown by fetch as network errors', async () => {
    const clock = new ManualClock();
    const { retries, onRetry } = retryLog();
    const reset = new TypeError('fetch failed', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) });
    const attempts = scripted(reset, 'ok');

    const result = callWithRetries(attempts.attempt, policy, clock, { onRetry, random: () => 0 });
    await settle();
    await clock.advance(0);

    await expect(result).resolves.toBe('ok');
    expect(retries).toEqual([{ kind: 'network', attempt: 1, delayMs: 0 }]);
  });

  it('rethrows an error that is neither an LlmError nor a network failure at once', async () => {
    const bug = new RangeError('a bug in the attempt');
    const attempts = scripted(bug, 'never');

    await expect(callWithRetries(attempts.attempt, policy, new ManualClock())).rejects.toBe(bug);
    expect(attempts.calls).toBe(1);
  });

  it('stops an attempt in flight at once when the outer signal aborts', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const attempts = scripted('hang', 'never');

    const result = rejectionOf(callWithRetries(attempts.attempt, policy, clock, { signal: controller.signal }));
    await settle();
    controller.abort(new Error('shutting down'));

    const error = (await result) as LlmError;
    expect(error.kind).toBe('aborted');
    expect((error.cause as Error).message).toBe('shutting down');
    expect(attempts.signals[0]!.aborted).toBe(true);
    expect(attempts.calls).toBe(1);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('stops during the backoff when the outer signal aborts, without another attempt', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const attempts = scripted(new LlmError('server_error', 'unavailable'), 'never');

    const result = rejectionOf(callWithRetries(attempts.attempt, policy, clock, { signal: controller.signal }));
    await settle();
    expect(clock.pendingSleeps).toBe(1);
    controller.abort();

    expect(((await result) as LlmError).kind).toBe('aborted');
    expect(attempts.calls).toBe(1);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('makes no attempt when the outer signal is already aborted', async () => {
    const attempts = scripted('never');

    const error = (await rejectionOf(
      callWithRetries(attempts.attempt, policy, new ManualClock(), { signal: AbortSignal.abort() }),
    )) as LlmError;

    expect(error.kind).toBe('aborted');
    expect(attempts.calls).toBe(0);
  });
});
