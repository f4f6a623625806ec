import { expect } from 'vitest';
import { OpenAiProvider } from '../../src/llm/openai-provider.js';
import { startFakeOpenAi, type FakeOpenAi } from '../support/fake-openai-server.js';
import type { RemoteProviderHarness } from './remote-provider-contract.js';

const API_KEY = 'sk-test-key';

/** The OpenAI-compatible provider at a server of its own (the fake), as the remote provider contract drives it. */
export const openAiHarness: RemoteProviderHarness<FakeOpenAi, OpenAiProvider> = {
  apiKey: API_KEY,
  models: { narrative: 'gpt-test', analysis: 'gpt-test-mini' },
  startFake: startFakeOpenAi,
  createProvider: (options) => new OpenAiProvider(options),
  defaultMemoryBudgetChars: 8_000,
  who: (baseUrl) => `the OpenAI-compatible server at ${baseUrl}`,
  keyVariable: 'OPENAI_API_KEY',
  keyRejection: '401 invalid_api_key',
  unreachableMessage: (baseUrl) => `Could not reach the OpenAI-compatible server at ${baseUrl}: connection refused`,
  narrativeCall: {
    route: 'POST /v1/chat/completions with the key as a bearer token',
    check(request) {
      expect(request).toMatchObject({ path: '/v1/chat/completions', authorization: `Bearer ${API_KEY}` });
      expect(request.body.messages!.map((message) => message.role)).toEqual(['system', 'user']);
      expect(request.body).toMatchObject({ temperature: expect.any(Number), max_tokens: expect.any(Number) });
      expect(request.body.stream).toBeUndefined();
    },
  },
  httpFailures: [
    ['429 with retry-after-ms', 'rate_limited', { status: 429, retryAfterMs: '1500', retryAfter: '2' }, 1_500],
    ['429 for a spent quota, which waiting does not refill', 'unauthorized', { status: 429, code: 'insufficient_quota', message: 'You exceeded your current quota.' }, undefined],
    ['502 from a proxy', 'server_error', { status: 502 }, undefined],
    ['401 invalid_api_key', 'unauthorized', { status: 401, code: 'invalid_api_key' }, undefined],
    ['400 context_length_exceeded', 'context_length', { status: 400, code: 'context_length_exceeded', message: "This model's maximum context length is 8192 tokens." }, undefined],
    ['400 saying the context is too small (vLLM)', 'context_length', { status: 400, message: "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens." }, undefined],
    ['400 exceed_context_size_error (llama.cpp)', 'context_length', { status: 400, type: 'exceed_context_size_error', message: 'the request exceeds the available context size' }, undefined],
  ],
  contextTooLong: { status: 400, code: 'context_length_exceeded', message: "This model's maximum context length is 8192 tokens." },
  answers: {
    empty: {
      'an answer without choices': (fake) => fake.next({ kind: 'no-choices' }),
      'a choice without content': (fake) => fake.next({ kind: 'answer', content: null }),
    },
    blocked: {
      'a refusal': { script: (fake) => fake.next({ kind: 'answer', content: null, refusal: "I'm sorry, I can't help with that." }), says: "I'm sorry" },
      'an answer stopped by the content filter': { script: (fake) => fake.next({ kind: 'answer', content: 'Ana is', finishReason: 'content_filter' }) },
    },
    cutOff: {
      'an answer cut off at the token limit (finish_reason length)': (fake) => fake.next({ kind: 'answer', content: 'Ana is a painter who', finishReason: 'length' }),
    },
    tokenLimitBeforeText: (fake) => fake.next({ kind: 'answer', content: '', finishReason: 'length' }),
  },
  rateLimitWithDelay: { failure: { status: 429, retryAfterMs: '2500' }, delayMs: 2_500, asking: "the server's retry-after-ms" },
};
