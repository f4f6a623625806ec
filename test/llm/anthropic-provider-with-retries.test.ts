import { afterEach, beforeEach, expect, it } from 'vitest';
import { callWithRetries } from '../../src/llm/call-with-retries.js';
import type { LlmError } from '../../src/llm/llm-error.js';
import { AnthropicProvider } from '../../src/llm/anthropic-provider.js';
import { startFakeAnthropic, type FakeAnthropic } from '../support/fake-anthropic-server.js';
import { ManualClock } from '../support/manual-clock.js';

const policy = { maxRetries: 3, timeoutMs: 120_000, baseDelayMs: 1_000, maxDelayMs: 30_000 };

let fake: FakeAnthropic;
let provider: AnthropicProvider;

beforeEach(async () => {
  fake = await startFakeAnthropic({ apiKey: 'sk-ant-test' });
  provider = new AnthropicProvider({ apiKey: 'sk-ant-test', baseUrl: fake.url, narrativeModel: 'claude-test-sonnet', analysisModel: 'claude-test-haiku' });
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

it("writes a narrative after one 429, waiting the server's Retry-After, in exactly two calls", async () => {
  const clock = new ManualClock();
  fake.respondWith('Ana is a watercolour painter.');
  fake.failNext({ status: 429, retryAfter: '3' });
  const { onRetry, retried } = nextRetry();

  const result = callWithRetries(narrate, policy, clock, { onRetry, random: () => 0 });
  const { error, delayMs } = await retried;

  expect(error.kind).toBe('rate_limited');
  expect(delayMs).toBe(3_000);
  expect(fake.calls).toBe(1);
  await clock.advance(2_999);
  expect(fake.calls).toBe(1);

  await clock.advance(1);

  await expect(result).resolves.toMatchObject({ text: 'Ana is a watercolour painter.', model: 'claude-test-sonnet', usage: { outputTokens: 8 } });
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
  await expect(result).resolves.toMatchObject({ model: 'claude-test-sonnet' });
  expect(fake.calls).toBe(2);
});

it('gives up at once on a prompt too long for the context', async () => {
  fake.failNext({ status: 400, message: 'prompt is too long: 215000 tokens > 200000 maximum' });

  const error = await callWithRetries(narrate, policy, new ManualClock()).then(
    () => expect.fail('the call succeeded'),
    (caught: unknown) => caught as LlmError,
  );

  expect(error.kind).toBe('context_length');
  expect(error.message).toContain('(gave up after 1 attempt)');
  expect(fake.calls).toBe(1);
});

it('retries an overloaded 529 after the backoff and then succeeds', async () => {
  const clock = new ManualClock();
  fake.failNext({ status: 529, message: 'Overloaded' });
  const { onRetry, retried } = nextRetry();

  const result = callWithRetries(narrate, policy, clock, { onRetry, random: () => 0.5 });
  const { error, delayMs } = await retried;

  expect(error.kind).toBe('server_error');
  expect(delayMs).toBe(500);
  await clock.advance(delayMs);
  await expect(result).resolves.toMatchObject({ model: 'claude-test-sonnet' });
  expect(fake.calls).toBe(2);
});
