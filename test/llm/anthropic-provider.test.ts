import { describe, expect, it } from 'vitest';
import { fakeTokenCount } from '../support/fake-llm-server.js';
import { anthropicHarness } from './anthropic-provider-harness.js';
import { narrativeRequest } from './provider-calls.js';
import { remoteProviderContract } from './remote-provider-contract.js';

describe('AnthropicProvider', () => {
  const the = remoteProviderContract(anthropicHarness);

  it('joins the text blocks and leaves thinking out of the answer', async () => {
    the.fake.next({ kind: 'message', texts: ['Ana paints ', 'watercolours.'], thinking: true });
    await expect(the.provider.writeNarrative(narrativeRequest())).resolves.toMatchObject({ text: 'Ana paints watercolours.' });
  });

  it('counts input read from the prompt cache as input, since input_tokens leaves it out', async () => {
    the.fake.next({ kind: 'message', texts: ['Ana paints.'] });
    the.fake.next({ kind: 'message', texts: ['Ana paints.'], cacheReadTokens: 1_200 });

    const plain = await the.provider.writeNarrative(narrativeRequest());
    const cached = await the.provider.writeNarrative(narrativeRequest());

    expect(cached.usage).toEqual({ inputTokens: plain.usage!.inputTokens + 1_200, outputTokens: fakeTokenCount('Ana paints.') });
  });
});
