import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/app.js';
import { startFakeGemini, type FakeGemini } from '../support/fake-gemini-server.js';
import { ManualClock } from '../support/manual-clock.js';
import { openTestApp } from '../support/test-app.js';
import { DATABASES } from '../support/test-databases.js';
import { until } from '../support/until.js';

const FACTS = [
  'Mara restores old bicycles.',
  'Mara teaches chemistry at a high school.',
  'Mara has a cat called Bismuth.',
  'Mara is saving for a trip to Japan.',
  'Mara sings in a community choir.',
];

/** A manual clock that remembers how long each sleep was asked to last. */
class RecordingClock extends ManualClock {
  readonly sleeps: number[] = [];

  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return super.sleep(ms, signal);
  }
}

describe.each(DATABASES)('Gemini failures seen through the engine on %s', (kind) => {
  let fake: FakeGemini;
  let clock: RecordingClock;
  let app: App;
  let userId: string;

  /**
   * Resolves once `failures` calls for `purpose` have failed and each retry's backoff sleep has
   * begun: the failure reaches the sleep in microtasks, so one turn of the event loop is enough.
   */
  async function failedAndBackingOff(purpose: 'narrative' | 'analysis', failures: number): Promise<void> {
    const { metrics } = app.engine;
    await until(async () => (await metrics.count(metrics.llmCalls, { purpose, outcome: 'error' })) >= failures);
    await nextTurn();
  }

  beforeEach(async () => {
    fake = await startFakeGemini({ apiKey: 'test-key' });
    clock = new RecordingClock(new Date('2026-03-01T12:00:00Z'));
    app = await openTestApp(kind, { GEMINI_API_KEY: 'test-key', GEMINI_BASE_URL: fake.url, LLM_MAX_RETRIES: '1' }, { clock });
    userId = (await app.repositories.users.getOrCreate('mara')).id;
    await app.engine.memories.add(userId, FACTS.map((content) => ({ content })), 'test');
  });
  afterEach(async () => {
    await app.close({ graceMs: 0 });
    await fake.close();
  });

  it('shows a Gemini 500 in narrative_status after one retry, and stores no narrative', async () => {
    expect(app.engine.provider.name).toBe('gemini');
    fake.failWhen(() => true, { status: 500 });

    const job = app.engine.runner.request(userId, 'miss');
    await failedAndBackingOff('narrative', 1);
    expect(fake.calls).toBe(1);
    await clock.advance(1_000); // full jitter: the first backoff is under a second

    expect(await job.done).toMatchObject({ status: 'failed', kind: 'server_error' });
    expect(fake.calls).toBe(2);
    expect(fake.requests.map((request) => request.model)).toEqual(['gemini-2.5-pro', 'gemini-2.5-pro']);
    const status = await app.engine.status.status(userId);
    expect(status).toMatchObject({
      narrative: null,
      job: 'idle',
      last_failure: { kind: 'server_error', consecutive_failures: 1, at: '2026-03-01T12:00:01.000Z' },
    });
    expect(status.last_failure!.message).toMatch(/^Gemini answered 500 INTERNAL: .+ \(gave up after 2 attempts\)$/);
    expect(await app.repositories.narratives.get(userId)).toBeUndefined();
  });

  it('still answers the request path with the memories when every Gemini call fails, within the analysis budget', async () => {
    fake.failWhen(() => true, { status: 500 });

    const answer = app.engine.context.orchestrate(userId, 'what should I pack for Japan?');
    await failedAndBackingOff('analysis', 1);
    await clock.advance(1_000);

    const context = await answer;
    expect(context).toMatchObject({ source: 'memories_only', reason: 'analysis_failed', narrative: null, generation_scheduled: true });
    expect(context.elapsed_ms).toBeLessThan(app.config.DEEP_ANALYSIS_BUDGET_MS);
    expect(context.memories.map((memory) => memory.content)).toContain('Mara is saving for a trip to Japan.');
    expect(context.text).toContain('The analysis is unavailable right now');
    const analysisCalls = fake.requests.filter((request) => request.model === 'gemini-2.5-flash');
    expect(analysisCalls).toHaveLength(2);
  });

  it("writes the narrative after a 429, retrying only once the server's 2 s retry delay has passed on the clock", async () => {
    fake.failNext({ status: 429, retryDelay: '2s' });
    fake.respondWith('Mara is a chemistry teacher who restores bicycles.');

    const job = app.engine.runner.request(userId, 'miss');
    await failedAndBackingOff('narrative', 1);
    expect(clock.sleeps.at(-1)).toBe(2_000);
    const sleepsWhileWaiting = clock.sleeps.length;

    await clock.advance(1_999);
    expect(clock.sleeps).toHaveLength(sleepsWhileWaiting); // a retry would have started its attempt's timeout
    expect(fake.calls).toBe(1);

    await clock.advance(1);
    expect(await job.done).toMatchObject({
      status: 'written',
      narrative: { version: 1, narrative_content: 'Mara is a chemistry teacher who restores bicycles.', model: 'gemini-2.5-pro' },
    });
    expect(fake.calls).toBe(2);
    expect((await app.engine.status.status(userId)).last_failure).toBeNull();
  });
});
