import { describe, expect, it } from 'vitest';
import { OpenAiProvider } from '../../src/llm/openai-provider.js';
import { startFakeOpenAi } from '../support/fake-openai-server.js';
import { openAiHarness } from './openai-provider-harness.js';
import { analysisRequest, failureOf, narrativeRequest } from './provider-calls.js';
import { remoteProviderContract } from './remote-provider-contract.js';

describe('OpenAiProvider', () => {
  const the = remoteProviderContract(openAiHarness);

  it('asks a server of its own for a temperature and max_tokens, the names every compatible server knows', async () => {
    await the.provider.writeNarrative(narrativeRequest());
    await the.provider.analyze(analysisRequest('hi', ['Ana paints.']));

    expect(the.fake.requests[0]!.body).toMatchObject({ temperature: 0.4, max_tokens: 4_096 });
    expect(the.fake.requests[1]!.body).toMatchObject({ temperature: 0.2, max_tokens: 2_048 });
    expect(the.fake.requests[0]!.body).not.toHaveProperty('max_completion_tokens');
  });

  it("asks OpenAI itself for max_completion_tokens and its models' own temperature, as its reasoning models require", async () => {
    const throughProxy = new OpenAiProvider({
      apiKey: openAiHarness.apiKey,
      baseUrl: 'https://api.openai.com/v1',
      narrativeModel: 'm',
      analysisModel: 'm',
      // Only the fetch is redirected, so the provider still believes it talks to OpenAI.
      fetch: (input, init) =>
        fetch((input instanceof Request ? input.url : input.toString()).replace('https://api.openai.com', the.fake.url.replace(/\/v1$/, '')), init),
    });
    await throughProxy.writeNarrative(narrativeRequest());

    expect(throughProxy.memoryBudgetChars).toBe(60_000);
    expect(the.fake.requests[0]!.body).toMatchObject({ max_completion_tokens: 16_384 });
    expect(the.fake.requests[0]!.body).not.toHaveProperty('temperature');
    expect(the.fake.requests[0]!.body).not.toHaveProperty('max_tokens');
  });

  it('sends no Authorization header at all when no key is configured, as a local server expects', async () => {
    const keyless = await startFakeOpenAi();
    try {
      const local = new OpenAiProvider({ baseUrl: keyless.url, narrativeModel: 'llama3.2:3b', analysisModel: 'llama3.2:3b' });

      await expect(local.writeNarrative(narrativeRequest())).resolves.toMatchObject({ model: 'llama3.2:3b' });

      expect(keyless.requests[0]!.authorization).toBeUndefined();
    } finally {
      await keyless.close();
    }
  });

  it('says a key is needed when a server refuses a call made without one', async () => {
    const keyless = new OpenAiProvider({ baseUrl: the.fake.url, narrativeModel: 'm', analysisModel: 'm' });

    const error = await failureOf(keyless.writeNarrative(narrativeRequest()));

    expect(error.kind).toBe('unauthorized');
    expect(error.message).toContain('the server wants a key and none is set');
  });

  it("drops a local reasoning model's leading <think> block", async () => {
    the.fake.respondWith('<think>\nThe user paints; mention it.\n</think>\n\nAna paints watercolours.');
    await expect(the.provider.writeNarrative(narrativeRequest())).resolves.toMatchObject({ text: 'Ana paints watercolours.' });
  });

  it('reports no token counts when the server gives none', async () => {
    the.fake.next({ kind: 'answer', content: 'Ana paints.', usage: false });
    const output = await the.provider.writeNarrative(narrativeRequest());
    expect(output.text).toBe('Ana paints.');
    expect(output).not.toHaveProperty('usage');
  });
});
