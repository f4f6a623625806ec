import { afterEach, beforeEach, expect, it } from 'vitest';
import { callWithRetries } from '../../src/llm/call-with-retries.js';
import type { LlmError } from '../../src/llm/llm-error.js';
import { OpenAiProvider } from '../../src/llm/openai-provider.js';
import { startFakeOpenAi, type FakeOpenAi } from '../support/fake-openai-server.js';
import { ManualClock } from '../support/manual-clock.js';

const policy = { maxRetries: 3, timeoutMs: 120_000, baseDelayMs: 1_000, maxDelayMs: 30_000 };

let fake: FakeOpenAi;
let provider: OpenAiProvider;

beforeEach(async () => {
  fake = await startFakeOpenAi({ apiKey: 'sk-test' });
  provider = new OpenAiProvider({ apiKey: 'sk-test', baseUrl: fake.url, narrativeModel: 'gpt-test', analysisModel: 'gpt-test-mini' });
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

function nextRetry(): { onRetry: (error: LlmError, attempt: number, delayMs: number) => void; retried: Promise<{ error: LlmError; delayMs: number }> } {
  let resolve!: (retry: { error: LlmError; delayMs: number }) => void;
  const retried = new Promise<{ error: LlmError; delayMs: number }>((done) => (resolve = done));
  return { onRetry: (error, _attempt, delayMs) => resolve({ error, delayMs }), retried };
}

it("writes a narrative after one 429, waiting the server's retry-after-ms, in exactly two calls", async () => {
  const clock = new ManualClock();
  fake.respondWith('Ana is a watercolour painter.');
  fake.failNext({ status: 429, retryAfterMs: '2500' });
  const { onRetry, retried } = nextRetry();

  const result = callWithRetries(narrate, policy, clock, { onRetry, random: () => 0 });
  const { error, delayMs } = await retried;

  expect(error.kind).toBe('rate_limited');
  expect(delayMs).toBe(2_500);
  expect(fake.calls).toBe(1);
  await clock.advance(2_499);
  expect(fake.calls).toBe(1);

  await clock.advance(1);

  await expect(result).resolves.toMatchObject({ text: 'Ana is a watercolour painter.', model: 'gpt-test', usage: { outputTokens: 8 } });
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
  await expect(result).resolves.toMatchObject({ model: 'gpt-test' });
  expect(fake.calls).toBe(2);
});

it('gives up at once on a prompt too long for the context', async () => {
  fake.failNext({ status: 400, code: 'context_length_exceeded', message: "This model's maximum context length is 8192 tokens." });

  const error = await callWithRetries(narrate, policy, new ManualClock()).then(
    () => expect.fail('the call succeeded'),
    (caught: unknown) => caught as LlmError,
  );

  expect(error.kind).toBe('context_length');
  expect(error.message).toContain('(gave up after 1 attempt)');
  expect(fake.calls).toBe(1);
});
