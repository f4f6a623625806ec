import { expect } from 'vitest';
import { GeminiProvider } from '../../src/llm/gemini-provider.js';
import { startFakeGemini, type FakeGemini } from '../support/fake-gemini-server.js';
import type { RemoteProviderHarness } from './remote-provider-contract.js';

const API_KEY = 'test-key';

const BLOCKING_FINISH_REASONS = ['SAFETY', 'RECITATION', 'PROHIBITED_CONTENT', 'BLOCKLIST', 'SPII'];

/** The Gemini provider at the fake's base URL, as the remote provider contract drives it. */
export const geminiHarness: RemoteProviderHarness<FakeGemini, GeminiProvider> = {
  apiKey: API_KEY,
  models: { narrative: 'gemini-test-pro', analysis: 'gemini-test-flash' },
  startFake: startFakeGemini,
  createProvider: (options) => new GeminiProvider(options),
  defaultMemoryBudgetChars: 60_000,
  who: () => 'Gemini',
  keyVariable: 'GEMINI_API_KEY',
  keyRejection: '400 API_KEY_INVALID',
  narrativeCall: {
    route: 'POST /v1beta/models/{model}:generateContent with the key header',
    check(request) {
      expect(request).toMatchObject({ path: '/v1beta/models/gemini-test-pro:generateContent', apiKey: API_KEY });
      expect(request.body.generationConfig).toMatchObject({ temperature: expect.any(Number), maxOutputTokens: expect.any(Number) });
    },
  },
  httpFailures: [
    ['429 with a RetryInfo of 2s', 'rate_limited', { status: 429, retryDelay: '2s' }, 2_000],
    ['429 with a RetryInfo of 1.5s', 'rate_limited', { status: 429, retryDelay: '1.5s' }, 1_500],
    ['503 with a RetryInfo', 'server_error', { status: 503, retryDelay: '3s' }, 3_000],
  ],
  answers: {
    empty: {
      'an answer without candidates': (fake) => fake.emptyNext(),
      'a candidate without text': (fake) => fake.finishNext('STOP'),
    },
    blocked: {
      'a blocked prompt': { script: (fake) => fake.blockedNext('SAFETY'), says: 'SAFETY' },
      ...Object.fromEntries(
        BLOCKING_FINISH_REASONS.map((finishReason) => [
          `an answer stopped for ${finishReason}`,
          { script: (fake: FakeGemini) => fake.finishNext(finishReason, 'Ana is'), says: finishReason },
        ]),
      ),
    },
    cutOff: {
      'an answer cut off at the token limit (MAX_TOKENS)': (fake) => fake.finishNext('MAX_TOKENS', 'Ana is a painter who'),
    },
    tokenLimitBeforeText: (fake) => fake.finishNext('MAX_TOKENS'),
  },
  rateLimitWithDelay: { failure: { status: 429, retryDelay: '2s' }, delayMs: 2_000, asking: "the server's RetryInfo delay" },
};
