import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/app.js';
import { LlmError } from '../../src/llm/llm-error.js';
import { ControlledProvider } from '../support/controlled-provider.js';
import { ManualClock } from '../support/manual-clock.js';
import { openTestApp } from '../support/test-app.js';
import { DATABASES } from '../support/test-databases.js';
import { until } from '../support/until.js';

const DAY = 24 * 60 * 60 * 1000;
const FACTS = [
  'Jordan works as a pastry chef in Lyon.',
  'Jordan has a sister named Priya who lives in Toronto.',
  'Jordan is training for a half marathon in October.',
  'Jordan loves jazz and plays the saxophone on weekends.',
  'Jordan wants to open a bakery within two years.',
  'Jordan adopted a greyhound called Pixel.',
];

describe.each(DATABASES)('orchestrate_smart_context on %s', (kind) => {
  let app: App;
  let provider: ControlledProvider;
  let clock: ManualClock;

  async function userWith(externalId: string, facts: readonly string[]): Promise<string> {
    const user = await app.repositories.users.getOrCreate(externalId);
    if (facts.length > 0) await app.engine.memories.add(user.id, facts.map((content) => ({ content })), 'test');
    return user.id;
  }

  beforeEach(async () => {
    provider = new ControlledProvider();
    clock = new ManualClock(new Date('2026-03-01T12:00:00Z'));
    app = await openTestApp(kind, { LLM_MAX_RETRIES: '2', DEEP_ANALYSIS_BUDGET_MS: '2000', LLM_TIMEOUT_MS: '5000' }, { provider, clock });
  });
  afterEach(() => app.close({ graceMs: 0 }));

  it('answers a user below the minimum with their memories and schedules nothing', async () => {
    const userId = await userWith('few', FACTS.slice(0, 3));
    const context = await app.engine.context.orchestrate(userId, 'hello');
    expect(context).toMatchObject({ source: 'memories_only', reason: 'below_minimum', generation_scheduled: false, narrative: null });
    expect(context.memories).toHaveLength(3);
    expect(app.engine.runner.state(userId)).toBe('idle');
  });

  it('runs the deep analysis on a miss, schedules the narrative, and is a cache hit next time', async () => {
    const userId = await userWith('cold', FACTS);
    const first = await app.engine.context.orchestrate(userId, 'any jazz gigs this weekend?');
    expect(first.source).toBe('deep_analysis');
    expect(first.generation_scheduled).toBe(true);
    expect(first.text).toContain('Analysis for "any jazz gigs this weekend?"');
    await app.engine.runner.onIdle();

    const second = await app.engine.context.orchestrate(userId, 'any jazz gigs this weekend?');
    expect(second.source).toBe('cache');
    expect(second.narrative).toMatchObject({ version: 1, stale: false });
    expect(second.text).toContain('Jordan loves jazz');
    expect(second.memories[0]!.content).toBe('Jordan loves jazz and plays the saxophone on weekends.');
    expect(provider.calls.narrative).toBe(1);
  });

  it('serves an expired narrative at once marked stale and regenerates it in the background', async () => {
    const userId = await userWith('ageing', FACTS);
    await app.engine.runner.request(userId, 'manual').done;
    await clock.advance(8 * DAY);

    const release = provider.hold();
    const stale = await app.engine.context.orchestrate(userId, 'bakery plans');
    expect(stale.source).toBe('stale_cache');
    expect(stale.narrative).toMatchObject({ version: 1, stale: true, stale_reasons: ['expired'] });
    expect(stale.generation_scheduled).toBe(true);
    await until(() => provider.waiting === 1);
    expect(app.engine.runner.state(userId)).toBe('running');

    release();
    await app.engine.runner.onIdle();
    const fresh = await app.engine.context.orchestrate(userId, 'bakery plans');
    expect(fresh).toMatchObject({ source: 'cache', narrative: { version: 2, stale: false } });
  });

  it('counts a narrative past the maximum stale age as missing', async () => {
    const userId = await userWith('ancient', FACTS);
    await app.engine.runner.request(userId, 'manual').done;
    await clock.advance(31 * DAY);
    const context = await app.engine.context.orchestrate(userId, 'hi');
    expect(context.source).toBe('deep_analysis');
  });

  it('marks a narrative stale once enough new memories arrive', async () => {
    const userId = await userWith('growing', FACTS);
    await app.engine.runner.request(userId, 'manual').done;
    const more = Array.from({ length: 20 }, (_, i) => ({ content: `New fact number ${i} about Jordan.` }));
    await app.engine.memories.add(userId, more.slice(0, 19), 'test');
    expect((await app.engine.context.orchestrate(userId, 'hi')).source).toBe('cache');
    await app.engine.memories.add(userId, more.slice(19), 'test');
    const context = await app.engine.context.orchestrate(userId, 'hi');
    expect(context).toMatchObject({ source: 'stale_cache', narrative: { stale_reasons: ['new_memories'] } });
  });

  it('produces exactly one generation and one analysis for 50 concurrent conversation starts of a cold user', async () => {
    const userId = await userWith('crowd', FACTS);
    const release = provider.hold();
    const answers = Promise.all(Array.from({ length: 50 }, () => app.engine.context.orchestrate(userId, 'hello there')));
    await until(() => provider.calls.analysis === 1 && provider.waiting === 2);
    release();
    const contexts = await answers;
    expect(new Set(contexts.map((context) => context.source))).toEqual(new Set(['deep_analysis']));
    await app.engine.runner.onIdle();
    expect(provider.calls.narrative).toBe(1);
    expect(provider.calls.analysis).toBe(1);
    expect((await app.repositories.narratives.get(userId))?.version).toBe(1);
  });

  it('analyses each different first message of concurrent starts once, and a start after they settle anew', async () => {
    const userId = await userWith('two-topics', FACTS);
    provider.hold();
    const messages = ['jazz tonight?', 'marathon training', 'jazz tonight?', 'marathon training'];
    const answers = Promise.all(messages.map((message) => app.engine.context.orchestrate(userId, message)));
    await until(() => provider.calls.analysis === 2 && provider.waiting === 3);
    await clock.advance(2_000);
    expect((await answers).map((context) => context.reason)).toEqual(['analysis_timeout', 'analysis_timeout', 'analysis_timeout', 'analysis_timeout']);

    const later = app.engine.context.orchestrate(userId, 'jazz tonight?');
    await until(() => provider.calls.analysis === 3);
    provider.release();
    expect((await later).text).toContain('Analysis for "jazz tonight?"');
  });

  it('keeps the offline provider out of the per-minute LLM call limit', async () => {
    const offlineApp = await openTestApp(kind, { LLM_CALLS_PER_MINUTE: '1' }, { clock });
    try {
      const users = await Promise.all(
        ['first', 'second', 'third'].map(async (externalId) => {
          const user = await offlineApp.repositories.users.getOrCreate(`offline-${externalId}`);
          await offlineApp.engine.memories.add(user.id, FACTS.map((content) => ({ content })), 'test');
          return user.id;
        }),
      );
      const contexts = await Promise.all(users.map((userId) => offlineApp.engine.context.orchestrate(userId, 'jazz')));
      expect(contexts.map((context) => context.source)).toEqual(['deep_analysis', 'deep_analysis', 'deep_analysis']);
      await offlineApp.engine.runner.onIdle();
      expect(await Promise.all(users.map(async (userId) => (await offlineApp.repositories.narratives.get(userId))?.version))).toEqual([1, 1, 1]);
    } finally {
      await offlineApp.close({ graceMs: 0 });
    }
  });

  it("gives a conversation start's analysis the next LLM call ahead of a backfill call that waited longer", async () => {
    const limited = await openTestApp(kind, { LLM_CALLS_PER_MINUTE: '1', LLM_CONCURRENCY: '1', DEEP_ANALYSIS_BUDGET_MS: '10000' }, { provider, clock });
    try {
      const [first, second, cold] = await Promise.all(
        ['backfill-first', 'backfill-second', 'cold'].map(async (externalId) => {
          const user = await limited.repositories.users.getOrCreate(externalId);
          await limited.engine.memories.add(user.id, FACTS.map((content) => ({ content })), 'test');
          return user.id;
        }),
      );
      expect(await limited.engine.runner.request(first!, 'backfill').done).toMatchObject({ status: 'written' });
      limited.engine.runner.request(second!, 'backfill');
      // The second backfill call waits for the minute's slot, under its attempt timeout, while its job renews its lease.
      await until(() => clock.pendingSleeps === 3);
      await clock.advance(55_000);

      const answer = limited.engine.context.orchestrate(cold!, 'jazz');
      await until(() => clock.pendingSleeps === 5); // and now the analysis, under its budget
      await clock.advance(10_000); // the slot frees at 60 s, the budget ends at 65 s
      expect(await answer).toMatchObject({ source: 'deep_analysis' });
      expect(provider.calls).toEqual({ narrative: 1, analysis: 1 });
    } finally {
      await limited.close({ graceMs: 0 });
    }
  });

  it('answers from memories inside the budget when the LLM is slow, without waiting for it', async () => {
    const userId = await userWith('slow', FACTS);
    provider.hold();
    const answer = app.engine.context.orchestrate(userId, 'saxophone');
    await until(() => provider.waiting === 2);
    await clock.advance(2_000);
    const context = await answer;
    expect(context).toMatchObject({ source: 'memories_only', reason: 'analysis_timeout', generation_scheduled: true });
    expect(context.memories[0]!.content).toContain('saxophone');
    expect(app.engine.runner.state(userId)).toBe('running');
    provider.release();
  });

  it('answers from memories when the analysis fails, and the retries stay inside the budget', async () => {
    const userId = await userWith('failing', FACTS);
    provider.failNext('analysis', new LlmError('unauthorized', 'API key rejected'));
    const context = await app.engine.context.orchestrate(userId, 'bakery');
    expect(context).toMatchObject({ source: 'memories_only', reason: 'analysis_failed' });
    expect(provider.calls.analysis).toBe(1);
  });

  it('returns only relevant memories for a message later in a conversation', async () => {
    const userId = await userWith('follow-up', FACTS);
    await app.engine.runner.request(userId, 'manual').done;
    const context = await app.engine.context.orchestrate(userId, 'greyhound', false);
    expect(context).toMatchObject({ source: 'memories_only', reason: 'follow_up_message', narrative: null });
    expect(context.memories.map((memory) => memory.content)).toEqual(['Jordan adopted a greyhound called Pixel.']);
  });
});
