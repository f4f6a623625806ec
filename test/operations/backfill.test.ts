import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openApp, type App } from '../../src/app/app.js';
import { importMemories } from '../../src/engine/import-memories.js';
import { backfill, type BackfillEvent, type BackfillOptions, type BackfillUserEvent } from '../../src/operations/backfill.js';
import { ControlledProvider } from '../support/controlled-provider.js';
import { LOCOMO_MEMORIES } from '../support/locomo.js';
import { ManualClock } from '../support/manual-clock.js';
import { openTestApp } from '../support/test-app.js';
import { DATABASES } from '../support/test-databases.js';
import { until } from '../support/until.js';

/** The LoCoMo users in external id order, the order a backfill walks them. */
const LOCOMO_USERS = [
  'locomo-26-caroline',
  'locomo-26-melanie',
  'locomo-30-gina',
  'locomo-30-jon',
  'locomo-41-john',
  'locomo-41-maria',
  'locomo-42-joanna',
  'locomo-42-nate',
  'locomo-43-john',
  'locomo-43-tim',
  'locomo-44-andrew',
  'locomo-44-audrey',
  'locomo-47-james',
  'locomo-47-john',
];
const DAY_MS = 24 * 60 * 60 * 1000;

describe.each(DATABASES)('the backfill on %s', (kind) => {
  let app: App;
  let provider: ControlledProvider;
  let clock: ManualClock;
  let events: BackfillEvent[];

  const userEvents = () => events.filter((event): event is BackfillUserEvent => event.type === 'user');
  const run = (options: Partial<BackfillOptions> = {}) =>
    backfill(app, { concurrency: 3, batchSize: 5, onEvent: (event) => events.push(event), ...options });

  /** Each user's narrative version, by external id. */
  async function versions(): Promise<Record<string, number>> {
    const rows = await app.database.db
      .selectFrom('user_narratives')
      .innerJoin('users', 'users.id', 'user_narratives.user_id')
      .select(['users.external_id', 'user_narratives.version'])
      .execute();
    return Object.fromEntries(rows.map((row) => [row.external_id, row.version]));
  }

  const everyone = (version: number) => Object.fromEntries(LOCOMO_USERS.map((user) => [user, version]));

  beforeEach(async () => {
    provider = new ControlledProvider();
    clock = new ManualClock(new Date('2026-03-01T12:00:00Z'));
    app = await openTestApp(kind, { LLM_CONCURRENCY: '8' }, { provider, clock });
    await importMemories(app.repositories, LOCOMO_MEMORIES, { maxChars: 10_000, batchSize: 1_000 });
    events = [];
  });
  afterEach(() => app.close({ graceMs: 0 }));

  it('writes a narrative for each of the 14 LoCoMo users, then skips all 14 on a second run', async () => {
    const first = await run();
    expect(first).toMatchObject({ eligible: 14, generated: 14, skipped: 0, failed: 0, failures: [], interrupted: false, notReached: 0 });
    expect(first.durationMs).toBeGreaterThanOrEqual(0);
    expect(await versions()).toEqual(everyone(1));
    expect(provider.calls.narrative).toBe(14);
    expect(userEvents().map((event) => [event.result, event.reason, event.version])).toEqual(
      LOCOMO_USERS.map(() => ['generated', 'no_narrative', 1]),
    );

    events = [];
    const second = await run();
    expect(second).toMatchObject({ eligible: 14, generated: 0, skipped: 14, failed: 0, skippedReasons: { fresh: 14 } });
    expect(userEvents().map((event) => event.user)).toEqual(LOCOMO_USERS);
    expect(provider.calls.narrative).toBe(14);
    expect(await versions()).toEqual(everyone(1));
  });

  it('adds up the tokens the provider reported for the narratives it wrote', async () => {
    provider.reportsUsage = true;
    const summary = await run();
    const rows = await app.database.db.selectFrom('user_narratives').select(['input_tokens', 'output_tokens']).execute();
    expect(rows).toHaveLength(14);
    expect(summary.tokens).toEqual({
      input: rows.reduce((sum, row) => sum + row.input_tokens!, 0),
      output: rows.reduce((sum, row) => sum + row.output_tokens!, 0),
    });
    expect(summary.tokens.input).toBeGreaterThan(0);
  });

  it('rewrites every fresh narrative with force, raising each version by exactly one', async () => {
    await run();
    const forced = await run({ force: true });
    expect(forced).toMatchObject({ eligible: 14, generated: 14, skipped: 0, failed: 0 });
    expect(await versions()).toEqual(everyone(2));
    expect(provider.calls.narrative).toBe(28);
  });

  it('regenerates narratives that have expired since, and says why', async () => {
    await run();
    await clock.advance(8 * DAY_MS);
    events = [];
    expect(await run()).toMatchObject({ generated: 14, skipped: 0 });
    expect(new Set(userEvents().map((event) => event.reason))).toEqual(new Set(['expired']));
    expect(await versions()).toEqual(everyone(2));
  });

  it('lists what it would do on a dry run and writes nothing', async () => {
    const plan = await run({ dryRun: true });
    expect(plan).toMatchObject({ dryRun: true, eligible: 14, planned: 14, generated: 0, skipped: 0, failed: 0 });
    expect(userEvents().map((event) => [event.user, event.result, event.reason])).toEqual(
      LOCOMO_USERS.map((user) => [user, 'planned', 'no_narrative']),
    );
    expect(provider.calls.narrative).toBe(0);
    expect(await versions()).toEqual({});
    expect(await app.database.db.selectFrom('narrative_generation_state').selectAll().execute()).toEqual([]);
  });

  it('plans on a dry run to skip the fresh narratives and rewrite only the stale one', async () => {
    await run();
    const gina = (await app.repositories.users.findByExternalId('locomo-30-gina'))!;
    await app.engine.memories.add(gina.id, Array.from({ length: 20 }, (_, n) => ({ content: `Gina opened store number ${n + 2}.` })), 'test');
    events = [];
    const plan = await run({ dryRun: true });
    expect(plan).toMatchObject({ planned: 1, skipped: 13, skippedReasons: { fresh: 13 } });
    expect(userEvents().filter((event) => event.result === 'planned')).toMatchObject([{ user: 'locomo-30-gina', reason: 'new_memories' }]);
    expect(provider.calls.narrative).toBe(14);
  });

  it('keeps at most the given number of users in the job runner at once', async () => {
    let running = 0;
    let mostRunning = 0;
    app.engine.runner.on('started', () => (mostRunning = Math.max(mostRunning, ++running)));
    app.engine.runner.on('finished', () => running--);
    provider.hold();
    const backfilling = run({ concurrency: 3 });
    await until(() => provider.waiting === 3);
    expect(app.engine.runner.size).toEqual({ queued: 0, running: 3 });
    provider.release();
    expect(await backfilling).toMatchObject({ generated: 14 });
    expect(mostRunning).toBe(3);
  });

  it('stops after the limit of users sent for generation, and the next run goes on with the next ones', async () => {
    expect(await run({ limit: 5 })).toMatchObject({ eligible: 14, generated: 5, notReached: 9 });
    expect(Object.keys(await versions()).sort()).toEqual(LOCOMO_USERS.slice(0, 5));

    events = [];
    expect(await run({ limit: 5 })).toMatchObject({ generated: 5, skipped: 5, notReached: 4 });
    expect(Object.keys(await versions()).sort()).toEqual(LOCOMO_USERS.slice(0, 10));
  });

  it('generates only the users named, in the order given', async () => {
    const summary = await run({ users: ['locomo-43-tim', 'locomo-26-melanie'], concurrency: 1 });
    expect(summary).toMatchObject({ eligible: 2, generated: 2 });
    expect(userEvents().map((event) => event.user)).toEqual(['locomo-43-tim', 'locomo-26-melanie']);
    expect(await versions()).toEqual({ 'locomo-43-tim': 1, 'locomo-26-melanie': 1 });
  });

  it('refuses users that do not exist, naming them, before doing anything', async () => {
    await expect(run({ users: ['locomo-30-jon', 'nobody', 'ghost'] })).rejects.toThrow(
      'no user "nobody", "ghost": see `narrative-mcp users list` for the users there are',
    );
    expect(provider.calls.narrative).toBe(0);
  });

  it('reports a named user with too few memories as not eligible', async () => {
    const { id } = await app.repositories.users.getOrCreate('newcomer');
    await app.engine.memories.add(id, [{ content: 'Just arrived.' }], 'test');
    const summary = await run({ users: ['newcomer', 'locomo-30-jon'] });
    expect(summary).toMatchObject({ eligible: 1, generated: 1, skipped: 1, skippedReasons: { not_eligible: 1 } });
  });

  it('targets only users with at least the minimum number of memories asked for', async () => {
    const summary = await run({ minMemories: 150 });
    expect(summary).toMatchObject({ eligible: 3, generated: 3 });
    expect(Object.keys(await versions()).sort()).toEqual(['locomo-41-john', 'locomo-41-maria', 'locomo-44-audrey']);
  });

  it('refuses a minimum below NARRATIVE_MIN_MEMORIES and numbers that are not whole and positive', async () => {
    await expect(run({ minMemories: 3 })).rejects.toThrow('min memories 3 is below NARRATIVE_MIN_MEMORIES (5)');
    await expect(run({ concurrency: 0 })).rejects.toThrow('concurrency must be a whole number of at least 1; got 0');
    await expect(run({ batchSize: 2.5 })).rejects.toThrow('batch size must be a whole number of at least 1; got 2.5');
    await expect(run({ limit: -1 })).rejects.toThrow('limit must be a whole number of at least 1; got -1');
  });

  it('stops taking users when aborted, lets those in flight finish, and a re-run generates each remaining user once', async () => {
    const controller = new AbortController();
    provider.hold();
    const interrupted = run({ concurrency: 2, signal: controller.signal });
    await until(() => provider.waiting === 2);
    controller.abort();
    provider.release();

    const first = await interrupted;
    expect(first).toMatchObject({
      interrupted: true,
      generated: 2,
      failed: 0,
      abandoned: [],
      stoppedAfter: 'locomo-26-melanie',
      resumeAfter: 'locomo-26-melanie',
      notReached: 12,
    });
    expect(events.find((event) => event.type === 'interrupted')).toMatchObject({ lastStarted: 'locomo-26-melanie' });

    const second = await run({ concurrency: 2 });
    expect(second).toMatchObject({ interrupted: false, generated: 12, skipped: 2, skippedReasons: { fresh: 2 } });
    expect(provider.calls.narrative).toBe(14);
    expect(await versions()).toEqual(everyone(1));
  });

  it('continues an interrupted forced run after the last user done, without rewriting the users before it', async () => {
    await run();
    const controller = new AbortController();
    provider.hold();
    const interrupted = run({ force: true, concurrency: 2, signal: controller.signal });
    await until(() => provider.waiting === 2);
    controller.abort();
    provider.release();
    const first = await interrupted;
    expect(first).toMatchObject({ generated: 2, resumeAfter: 'locomo-26-melanie' });

    expect(await run({ force: true, after: first.resumeAfter! })).toMatchObject({ eligible: 12, generated: 12 });
    expect(await versions()).toEqual(everyone(2));
    await expect(run({ after: 'locomo-30-gina', users: ['locomo-30-jon'] })).rejects.toThrow('after cannot be combined with named users');
  });

  it('abandons the users in flight when the job runner closes, writing nothing for them; a re-run generates them', async () => {
    const controller = new AbortController();
    provider.hold();
    const interrupted = run({ concurrency: 2, signal: controller.signal });
    await until(() => provider.waiting === 2);
    controller.abort();
    await app.engine.runner.close(Promise.resolve());

    const summary = await interrupted;
    expect(summary).toMatchObject({ interrupted: true, generated: 0, stoppedAfter: 'locomo-26-melanie', resumeAfter: null });
    expect([...summary.abandoned].sort()).toEqual(['locomo-26-caroline', 'locomo-26-melanie']);
    expect(await versions()).toEqual({});
    provider.release();

    // The same database, a new process's app: the re-run picks up every user.
    const rerun = await openApp(app.config, pino({ level: 'silent' }), { database: app.database, migrate: false, provider, clock });
    app = rerun;
    expect(await run()).toMatchObject({ generated: 14, skipped: 0 });
    expect(await versions()).toEqual(everyone(1));
  });
});
