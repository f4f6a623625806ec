import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/app.js';
import { NarrativeEngine } from '../../src/engine/narrative-engine.js';
import { LlmError } from '../../src/llm/llm-error.js';
import { ControlledProvider } from '../support/controlled-provider.js';
import { ManualClock } from '../support/manual-clock.js';
import { openTestApp } from '../support/test-app.js';
import { DATABASES } from '../support/test-databases.js';
import { until } from '../support/until.js';

const FACTS = ['Sam is a nurse.', 'Sam has twin boys.', 'Sam climbs on Sundays.', 'Sam is learning Portuguese.', 'Sam lives in Porto.'];

describe.each(DATABASES)('regeneration and narrative status on %s', (kind) => {
  let app: App;
  let provider: ControlledProvider;
  let clock: ManualClock;
  let userId: string;

  beforeEach(async () => {
    provider = new ControlledProvider();
    clock = new ManualClock(new Date('2026-03-01T12:00:00Z'));
    app = await openTestApp(kind, { LLM_MAX_RETRIES: '2', REGENERATE_PER_HOUR: '2' }, { provider, clock });
    userId = (await app.repositories.users.getOrCreate('sam')).id;
    await app.engine.memories.add(userId, FACTS.map((content) => ({ content })), 'test');
  });
  afterEach(() => app.close({ graceMs: 0 }));

  it('regenerates on request and raises the version by exactly one each time', async () => {
    expect(await app.engine.regeneration.regenerate(userId, { wait: true })).toEqual({ state: 'completed', version: 1 });
    expect(await app.engine.regeneration.regenerate(userId, { wait: true })).toEqual({ state: 'completed', version: 2 });
    expect(provider.calls.narrative).toBe(2);
  });

  it('answers at once with the job state when not asked to wait', async () => {
    provider.hold();
    const answer = await app.engine.regeneration.regenerate(userId);
    expect(answer).toEqual({ state: 'running', version: null });
    await until(() => provider.waiting === 1);
    expect((await app.engine.status.status(userId)).job).toBe('running');
    provider.release();
  });

  it('limits manual regenerations per user per hour and says when to retry', async () => {
    await app.engine.regeneration.regenerate(userId, { wait: true });
    await clock.advance(10 * 60 * 1000);
    await app.engine.regeneration.regenerate(userId, { wait: true });
    const limited = await app.engine.regeneration.regenerate(userId, { wait: true });
    expect(limited).toEqual({ state: 'rate_limited', retry_at: '2026-03-01T13:00:00.000Z', retry_after_seconds: 3000 });
    await clock.advance(50 * 60 * 1000);
    expect(await app.engine.regeneration.regenerate(userId, { wait: true })).toMatchObject({ state: 'completed', version: 3 });
  });

  it('answers a wait cut short by shutdown as failed, not with the previous version', async () => {
    await app.engine.regeneration.regenerate(userId, { wait: true });
    provider.hold();
    const answer = app.engine.regeneration.regenerate(userId, { wait: true });
    await until(() => provider.waiting === 1);
    await app.engine.runner.close(Promise.resolve());
    expect(await answer).toMatchObject({ state: 'failed', kind: 'shutdown' });
  });

  it('refuses a user below the minimum', async () => {
    const few = (await app.repositories.users.getOrCreate('few')).id;
    expect(await app.engine.regeneration.regenerate(few)).toEqual({ state: 'not_eligible', memory_count: 0, min_memories: 5 });
  });

  it('retries failed calls as configured, then gives up leaving the narrative and version untouched', async () => {
    await app.engine.regeneration.regenerate(userId, { wait: true });
    const before = await app.repositories.narratives.get(userId);
    provider.failNext('narrative', ...[1, 2, 3].map(() => new LlmError('server_error', 'Gemini answered 500')));
    const answer = clock.advanceUntilSettled(app.engine.regeneration.regenerate(userId, { wait: true }), 10_000);
    expect(await answer).toMatchObject({ state: 'failed', kind: 'server_error' });
    expect(provider.calls.narrative).toBe(1 + 3);
    expect(await app.repositories.narratives.get(userId)).toEqual(before);
  });

  it('shows a failed background generation with its reason, and clears it after a success', async () => {
    provider.failNext('narrative', new LlmError('unauthorized', 'API key not valid'));
    await app.engine.runner.request(userId, 'miss').done;
    const failed = await app.engine.status.status(userId);
    expect(failed).toMatchObject({
      eligible: true,
      narrative: null,
      job: 'idle',
      last_failure: { kind: 'unauthorized', message: 'API key not valid (gave up after 1 attempt)', consecutive_failures: 1, at: '2026-03-01T12:00:00.000Z' },
    });
    await app.engine.runner.request(userId, 'miss').done;
    const recovered = await app.engine.status.status(userId);
    expect(recovered.last_failure).toBeNull();
    expect(recovered.narrative).toMatchObject({ version: 1, state: 'fresh', memories_added_since: 0, provider: 'controlled' });
    expect(recovered.next_refresh_at).toBe('2026-03-08T12:00:00.000Z');
  });

  it('reports why a narrative is stale', async () => {
    await app.engine.runner.request(userId, 'miss').done;
    const [memory] = await app.repositories.memories.recent(userId, { limit: 1 });
    await app.engine.memories.delete(userId, [memory!.id]);
    const status = await app.engine.status.status(userId);
    expect(status.narrative).toMatchObject({ state: 'stale', stale_reasons: ['memory_deleted'], memory_deleted_since: true });
  });
});

describe.each(DATABASES)('regeneration while another process writes the narrative on %s', (kind) => {
  let app: App;
  let other: NarrativeEngine;
  let otherProvider: ControlledProvider;
  let userId: string;

  beforeEach(async () => {
    const clock = new ManualClock(new Date('2026-03-01T12:00:00Z'));
    app = await openTestApp(kind, {}, { provider: new ControlledProvider(), clock });
    otherProvider = new ControlledProvider();
    // A second engine on the same database: it takes the lease on a user as another process would.
    other = new NarrativeEngine({
      config: app.config,
      repositories: app.repositories,
      provider: otherProvider,
      clock,
      logger: app.logger,
    });
    userId = (await app.repositories.users.getOrCreate('sam')).id;
    await app.engine.memories.add(userId, FACTS.map((content) => ({ content })), 'test');
  });
  afterEach(async () => {
    otherProvider.release();
    await other.runner.close(Promise.resolve());
    await app.close({ graceMs: 0 });
  });

  it("answers running, not completed with the old version, while the other process holds the user's lease", async () => {
    expect(await app.engine.regeneration.regenerate(userId, { wait: true })).toEqual({ state: 'completed', version: 1 });
    otherProvider.hold();
    const othersJob = other.runner.request(userId, 'manual', { force: true });
    await until(() => otherProvider.waiting === 1);

    expect(await app.engine.regeneration.regenerate(userId, { wait: true })).toEqual({ state: 'running', version: 1 });

    otherProvider.release();
    expect(await othersJob.done).toMatchObject({ status: 'written', narrative: { version: 2 } });
  });
});
