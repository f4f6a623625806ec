import { describe, expect, it } from 'vitest';
import { callWithRetries } from '../../src/llm/call-with-retries.js';
import { ManualClock } from '../support/manual-clock.js';
import { anthropicHarness } from './anthropic-provider-harness.js';
import { narrativeRequest } from './provider-calls.js';
import { nextRetry, policy, remoteProviderWithRetriesContract } from './remote-provider-with-retries-contract.js';

describe('AnthropicProvider under callWithRetries', () => {
  const the = remoteProviderWithRetriesContract(anthropicHarness);

  it('retries an overloaded 529 after the backoff and then succeeds', async () => {
    const clock = new ManualClock();
    the.fake.failNext({ status: 529, message: 'Overloaded' });
    const { onRetry, retried } = nextRetry();

    const result = callWithRetries((signal) => the.provider.writeNarrative(narrativeRequest(undefined, signal)), policy, clock, { onRetry, random: () => 0.5 });
    const { error, delayMs } = await retried;

    expect(error.kind).toBe('server_error');
    expect(delayMs).toBe(500);
    await clock.advance(delayMs);
    await expect(result).resolves.toMatchObject({ model: anthropicHarness.models.narrative });
    expect(the.fake.calls).toBe(2);
  });
});
