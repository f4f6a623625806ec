import { expect } from 'vitest';
import { AnthropicProvider } from '../../src/llm/anthropic-provider.js';
import { startFakeAnthropic, type FakeAnthropic } from '../support/fake-anthropic-server.js';
import type { RemoteProviderHarness } from './remote-provider-contract.js';

const API_KEY = 'sk-ant-test';

/** The Anthropic provider at the fake's base URL, as the remote provider contract drives it. */
export const anthropicHarness: RemoteProviderHarness<FakeAnthropic, AnthropicProvider> = {
  apiKey: API_KEY,
  models: { narrative: 'claude-test-sonnet', analysis: 'claude-test-haiku' },
  startFake: startFakeAnthropic,
  createProvider: (options) => new AnthropicProvider(options),
  defaultMemoryBudgetChars: 60_000,
  who: (baseUrl) => `Anthropic at ${baseUrl}`,
  keyVariable: 'ANTHROPIC_API_KEY',
  keyRejection: '401 authentication_error',
  unreachableMessage: (baseUrl) => `Could not reach Anthropic at ${baseUrl}: connection refused`,
  narrativeCall: {
    route: 'POST /v1/messages with the key and API version headers',
    check(request) {
      expect(request).toMatchObject({ path: '/v1/messages', apiKey: API_KEY, version: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
      expect(request.body.messages!.map((message) => message.role)).toEqual(['user']);
      expect(request.body.max_tokens).toEqual(expect.any(Number));
      expect(request.body.stream).toBeUndefined();
    },
  },
  httpFailures: [
    ['529 overloaded', 'server_error', { status: 529, message: 'Overloaded' }, undefined],
    ['400 prompt is too long', 'context_length', { status: 400, message: 'prompt is too long: 215000 tokens > 200000 maximum' }, undefined],
  ],
  contextTooLong: { status: 400, message: 'prompt is too long: 215000 tokens > 200000 maximum' },
  answers: {
    empty: {
      'a message without text blocks': (fake) => fake.next({ kind: 'message', texts: [] }),
    },
    blocked: {
      'a refusal': { script: (fake) => fake.next({ kind: 'message', texts: [], stopReason: 'refusal' }) },
    },
    cutOff: {
      'an answer cut off by max_tokens': (fake) => fake.next({ kind: 'message', texts: ['Ana is a painter who'], stopReason: 'max_tokens' }),
      'an answer cut off by model_context_window_exceeded': (fake) =>
        fake.next({ kind: 'message', texts: ['Ana is a painter who'], stopReason: 'model_context_window_exceeded' }),
    },
    tokenLimitBeforeText: (fake) => fake.next({ kind: 'message', texts: [], stopReason: 'max_tokens', thinking: true }),
  },
  rateLimitWithDelay: { failure: { status: 429, retryAfter: '3' }, delayMs: 3_000, asking: "the server's Retry-After" },
};
