import { beforeEach, expect, it } from 'vitest';
import { callWithRetries } from '../../src/llm/call-with-retries.js';
import type { LlmError } from '../../src/llm/llm-error.js';
import type { LlmProvider } from '../../src/llm/llm-provider.js';
import type { AnyFakeLlmServer } from '../support/fake-llm-server.js';
import { ManualClock } from '../support/manual-clock.js';
import { narrativeRequest } from './provider-calls.js';
import { remoteProviderUnderTest, type RemoteProviderHarness, type RemoteProviderUnderTest } from './remote-provider-contract.js';

export const policy = { maxRetries: 3, timeoutMs: 120_000, baseDelayMs: 1_000, maxDelayMs: 30_000 };

interface Retry {
  error: LlmError;
  delayMs: number;
}

/** An `onRetry` and the first retry it reports. */
export function nextRetry(): { onRetry: (error: LlmError, attempt: number, delayMs: number) => void; retried: Promise<Retry> } {
  let resolve!: (retry: Retry) => void;
  const retried = new Promise<Retry>((done) => (resolve = done));
  return { onRetry: (error, _attempt, delayMs) => resolve({ error, delayMs }), retried };
}

/**
 * Registers, in the surrounding `describe`, what every remote provider does alike under
 * `callWithRetries` against its fake server: a retry waits the delay the server asks for, a hung
 * call is abandoned at the timeout, a prompt too long is never retried. Returns the fake and the
 * provider of the running test.
 */
export function remoteProviderWithRetriesContract<Fake extends AnyFakeLlmServer, Provider extends LlmProvider>(
  harness: RemoteProviderHarness<Fake, Provider>,
): RemoteProviderUnderTest<Fake, Provider> {
  const underTest = remoteProviderUnderTest(harness);
  const narrate = (signal: AbortSignal) => underTest.provider.writeNarrative(narrativeRequest(undefined, signal));
  let fake: Fake;
  beforeEach(() => {
    ({ fake } = underTest);
  });

  it(`writes a narrative after one 429, waiting ${harness.rateLimitWithDelay.asking}, in exactly two calls`, async () => {
    const { failure, delayMs: asked } = harness.rateLimitWithDelay;
    const clock = new ManualClock();
    fake.respondWith('Ana is a watercolour painter.');
    fake.failNext(failure);
    const { onRetry, retried } = nextRetry();

    const result = callWithRetries(narrate, policy, clock, { onRetry, random: () => 0 });
    const { error, delayMs } = await retried;

    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterMs).toBe(asked);
    expect(delayMs).toBe(asked);
    expect(fake.calls).toBe(1);
    await clock.advance(asked - 1);
    expect(fake.calls).toBe(1);

    await clock.advance(1);

    await expect(result).resolves.toEqual({
      text: 'Ana is a watercolour painter.',
      model: harness.models.narrative,
      memoryIds: ['memory-1'],
      usage: { inputTokens: expect.any(Number), outputTokens: 8 },
    });
    expect(fake.calls).toBe(2);
  });

  it('abandons a hanging call at the timeout measured on the clock and succeeds on the retry', async () => {
    const clock = new ManualClock();
    fake.hangNext();
    const { onRetry, retried } = nextRetry();

    const result = callWithRetries(narrate, policy, clock, { onRetry, random: () => 0 });
    await fake.waitForCalls(1);
    await clock.advance(policy.timeoutMs);

    expect((await retried).error.kind).toBe('timeout');
    await clock.advance(0);
    await expect(result).resolves.toMatchObject({ model: harness.models.narrative });
    expect(fake.calls).toBe(2);
  });

  const { contextTooLong } = harness;
  if (contextTooLong) {
    it('gives up at once on a prompt too long for the context', async () => {
      fake.failNext(contextTooLong);

      const error = await callWithRetries(narrate, policy, new ManualClock()).then(
        () => expect.fail('the call succeeded'),
        (caught: unknown) => caught as LlmError,
      );

      expect(error.kind).toBe('context_length');
      expect(error.message).toContain('(gave up after 1 attempt)');
      expect(fake.calls).toBe(1);
    });
  }

  return underTest;
}
