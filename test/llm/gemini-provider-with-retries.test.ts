import { afterEach, beforeEach, expect, it } from 'vitest';
import { callWithRetries } from '../../src/llm/call-with-retries.js';
import { GeminiProvider } from '../../src/llm/gemini-provider.js';
import type { LlmError } from '../../src/llm/llm-error.js';
import { startFakeGemini, type FakeGemini } from '../support/fake-gemini-server.js';
import { ManualClock } from '../support/manual-clock.js';

const policy = { maxRetries: 3, timeoutMs: 120_000, baseDelayMs: 1_000, maxDelayMs: 30_000 };

let fake: FakeGemini;
let provider: GeminiProvider;

beforeEach(async () => {
  fake = await startFakeGemini({ apiKey: 'test-key' });
  provider = new GeminiProvider({ apiKey: 'test-key', baseUrl: fake.url, narrativeModel: 'gemini-test-pro', analysisModel: 'gemini-test-flash' });
});

afterEach(async () => {
  await fake.close();
});

function narrate(signal: AbortSignal) {
  return provider.writeNarrative({
    user: { externalId: 'ana', displayName: 'Ana' },
    memories: [{ id: 'memory-1', content: 'Ana paints watercolours.', createdAt: new Date('2026-02-01T00:00:00Z') }],
    now: new Date('2026-03-01T00:00:00Z'),
    signal,
  });
}

it("writes a narrative after one 429, waiting the server's retry delay, in exactly two calls", async () => {
  const clock = new ManualClock();
  fake.respondWith('Ana is a watercolour painter.');
  fake.failNext({ status: 429, retryDelay: '2s' });
  let retried!: (retry: { error: LlmError; delayMs: number }) => void;
  const retry = new Promise<{ error: LlmError; delayMs: number }>((resolve) => (retried = resolve));

  const result = callWithRetries(narrate, policy, clock, { onRetry: (error, _attempt, delayMs) => retried({ error, delayMs }) });
  const { error, delayMs } = await retry;

  expect(error.kind).toBe('rate_limited');
  expect(error.retryAfterMs).toBe(2_000);
  expect(delayMs).toBeGreaterThanOrEqual(2_000);
  expect(fake.calls).toBe(1);

  await clock.advance(delayMs);

  await expect(result).resolves.toEqual({
    text: 'Ana is a watercolour painter.',
    model: 'gemini-test-pro',
    memoryIds: ['memory-1'],
    usage: { inputTokens: expect.any(Number), outputTokens: Math.ceil('Ana is a watercolour painter.'.length / 4) },
  });
  expect(fake.calls).toBe(2);
});

it('abandons a hanging Gemini call at the timeout measured on the clock and succeeds on the retry', async () => {
  const clock = new ManualClock();
  fake.hangNext();
  let retried!: (error: LlmError) => void;
  const retry = new Promise<LlmError>((resolve) => (retried = resolve));

  const result = callWithRetries(narrate, policy, clock, { onRetry: (error) => retried(error), random: () => 0 });
  await fake.waitForCalls(1);
  await clock.advance(policy.timeoutMs);

  expect((await retry).kind).toBe('timeout');
  await clock.advance(0);
  await expect(result).resolves.toMatchObject({ model: 'gemini-test-pro' });
  expect(fake.calls).toBe(2);
});
