import { describe, expect, it } from 'vitest';
import { fakeTokenCount } from '../support/fake-llm-server.js';
import { geminiHarness } from './gemini-provider-harness.js';
import { narrativeRequest } from './provider-calls.js';
import { remoteProviderContract } from './remote-provider-contract.js';

describe('GeminiProvider', () => {
  const the = remoteProviderContract(geminiHarness);

  it("counts a thinking model's thoughts as output tokens", async () => {
    the.fake.finishNext('STOP', 'Ana paints.');
    the.fake.next({ kind: 'finish', finishReason: 'STOP', text: 'Ana paints.', thoughtsTokenCount: 700 });

    const plain = await the.provider.writeNarrative(narrativeRequest());
    const thoughtful = await the.provider.writeNarrative(narrativeRequest());

    expect(plain.usage?.outputTokens).toBe(fakeTokenCount('Ana paints.'));
    expect(thoughtful.usage?.outputTokens).toBe(fakeTokenCount('Ana paints.') + 700);
    expect(thoughtful.usage?.inputTokens).toBe(plain.usage?.inputTokens);
  });
});
