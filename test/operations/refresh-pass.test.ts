import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/app.js';
import { LlmError } from '../../src/llm/llm-error.js';
import { backfill } from '../../src/operations/backfill.js';
import { refreshOffsetMs } from '../../src/operations/refresh-offset.js';
import { runRefreshPass, type RefreshPassOptions, type RefreshUserEvent } from '../../src/operations/refresh-pass.js';
import { ControlledProvider } from '../support/controlled-provider.js';
import { ManualClock } from '../support/manual-clock.js';
import { openTestApp } from '../support/test-app.js';
import { DATABASES } from '../support/test-databases.js';
import { until } from '../support/until.js';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
const WRITTEN_AT = Date.parse('2026-03-01T12:00:00Z');
/** When the default one-day refresh window of narratives written at WRITTEN_AT opens (TTL 7 days). */
const WINDOW_OPENS = WRITTEN_AT + 6 * DAY_MS;

describe.each(DATABASES)('a refresh pass on %s', (kind) => {
  let app: App;
  let provider: ControlledProvider;
  let clock: ManualClock;
  let refreshed: RefreshUserEvent[];

  const pass = (options: Partial<RefreshPassOptions> = {}) =>
    runRefreshPass(app, { horizonHours: 24, activeDays: 30, limit: 500, onUser: (event) => refreshed.push(event), ...options });

  /** A user with five memories dated `daysAgo` days before WRITTEN_AT; `id` chooses their (random-looking) id. */
  async function user(externalId: string, options: { daysAgo?: number; id?: string } = {}): Promise<string> {
    const id = options.id ?? (await app.repositories.users.getOrCreate(externalId)).id;
    if (options.id) await app.database.db.insertInto('users').values({ id, external_id: externalId }).execute();
    const createdAt = new Date(WRITTEN_AT - (options.daysAgo ?? 1) * DAY_MS);
    const facts = ['works as a nurse', 'has twin boys', 'climbs on Sundays', 'learns Portuguese', 'lives in Porto'];
    await app.engine.memories.add(id, facts.map((fact) => ({ content: `${externalId} ${fact}.`, created_at: createdAt })), 'test');
    return id;
  }

  async function version(userId: string): Promise<number | undefined> {
    return (await app.repositories.narratives.get(userId))?.version;
  }

  beforeEach(async () => {
    provider = new ControlledProvider();
    clock = new ManualClock(WRITTEN_AT);
    app = await openTestApp(kind, { LLM_CONCURRENCY: '2', LLM_MAX_RETRIES: '0' }, { provider, clock });
    refreshed = [];
  });
  afterEach(() => app.close({ graceMs: 0 }));

  it('refreshes 24 narratives written in the same minute one per hour across the day before they expire', async () => {
    // Ids whose first 32 bits place user k at k hours and 30 minutes into the window.
    const ids = Array.from({ length: 24 }, (_, k) => {
      const prefix = Math.floor(((k + 0.5) / 24) * 2 ** 32).toString(16).padStart(8, '0');
      return `${prefix}-2222-4222-8222-${String(k).padStart(12, '0')}`;
    });
    for (const [k, id] of ids.entries()) await user(`hour-${k}`, { id });
    expect(await backfill(app, { concurrency: 2, batchSize: 100 })).toMatchObject({ generated: 24 });

    clock.set(WINDOW_OPENS);
    expect(await pass()).toMatchObject({ due: 0, refreshed: 0 });
    const byHour: string[][] = [];
    for (let hour = 1; hour <= 24; hour++) {
      clock.set(WINDOW_OPENS + hour * HOUR_MS);
      refreshed = [];
      const summary = await pass();
      expect(summary).toMatchObject({ failed: 0, skipped: 0 });
      byHour.push(refreshed.map((event) => `${event.user} ${event.result} ${event.reason} v${event.version}`));
    }
    expect(byHour).toEqual(Array.from({ length: 24 }, (_, k) => [`hour-${k} refreshed expiring v2`]));
    expect(ids.map((id) => Math.floor(refreshOffsetMs(id, DAY_MS) / HOUR_MS))).toEqual(Array.from({ length: 24 }, (_, k) => k));

    // Rewritten an hour apart, they now expire an hour apart too.
    const expiries = await app.database.db.selectFrom('user_narratives').select('generated_at').orderBy('generated_at').execute();
    expect(expiries.map((row) => (row.generated_at.getTime() - WINDOW_OPENS) / HOUR_MS)).toEqual(Array.from({ length: 24 }, (_, k) => k + 1));
  });

  it('refreshes a narrative made stale by new memories at once, without forcing a fresh one', async () => {
    const [stale, fresh] = [await user('stale'), await user('fresh')];
    await backfill(app, { concurrency: 2, batchSize: 10 });
    await app.engine.memories.add(stale, Array.from({ length: 20 }, (_, n) => ({ content: `stale news ${n}`, created_at: new Date(WRITTEN_AT) })), 'test');
    clock.set(WRITTEN_AT + HOUR_MS);

    expect(await pass()).toMatchObject({ due: 1, refreshed: 1 });
    expect(refreshed).toEqual([{ user: 'stale', result: 'refreshed', reason: 'new_memories', version: 2 }]);
    expect([await version(stale), await version(fresh)]).toEqual([2, 1]);
    expect(await pass()).toMatchObject({ due: 0 });
  });

  it('leaves alone users with no memory dated within the active days, however old their narrative', async () => {
    const dormant = await user('dormant', { daysAgo: 45 });
    const active = await user('active', { daysAgo: 2 });
    await backfill(app, { concurrency: 2, batchSize: 10 });
    clock.set(WRITTEN_AT + 20 * DAY_MS);

    expect(await pass({ activeDays: 30 })).toMatchObject({ due: 1, refreshed: 1 });
    expect([await version(dormant), await version(active)]).toEqual([1, 2]);
    expect(await pass({ activeDays: 90 })).toMatchObject({ due: 1, refreshed: 1 });
    expect(await version(dormant)).toBe(2);
  });

  it('judges activity by the clock that dated the memories told, however far it is from the wall clock', async () => {
    const farFromTheWallClock = Date.UTC(2041, 6, 1);
    const toldNow = async (externalId: string) => {
      const { id } = await app.repositories.users.getOrCreate(externalId);
      await app.engine.memories.add(id, Array.from({ length: 5 }, (_, n) => ({ content: `${externalId} fact ${n}` })), 'test');
      return id;
    };
    clock.set(farFromTheWallClock - 40 * DAY_MS);
    const lapsed = await toldNow('lapsed');
    clock.set(farFromTheWallClock);
    const recent = await toldNow('recent');
    await backfill(app, { concurrency: 2, batchSize: 10 });
    clock.set(farFromTheWallClock + 8 * DAY_MS);

    expect(await pass({ activeDays: 30 })).toMatchObject({ due: 1, refreshed: 1 });
    expect([await version(lapsed), await version(recent)]).toEqual([1, 2]);
  });

  it('takes at most the limit of users in one pass, the longest overdue first, and the rest in the next', async () => {
    const users = [await user('a'), await user('b'), await user('c')];
    await backfill(app, { concurrency: 2, batchSize: 10 });
    clock.set(WRITTEN_AT + 8 * DAY_MS);
    const order = [...users].sort((x, y) => refreshOffsetMs(x, DAY_MS) - refreshOffsetMs(y, DAY_MS));

    expect(await pass({ limit: 2 })).toMatchObject({ due: 2, refreshed: 2 });
    expect(await Promise.all(order.map(version))).toEqual([2, 2, 1]);
    expect(await pass({ limit: 2 })).toMatchObject({ due: 1, refreshed: 1 });
    expect(await Promise.all(users.map(version))).toEqual([2, 2, 2]);
  });

  it('lists a user whose refresh failed, keeps their narrative, and tries them again only after an hour', async () => {
    const failing = await user('failing');
    await backfill(app, { concurrency: 1, batchSize: 10 });
    clock.set(WRITTEN_AT + 8 * DAY_MS);
    provider.failNext('narrative', new LlmError('server_error', 'Gemini answered 500'));

    const failed = await pass();
    expect(failed).toMatchObject({ due: 1, refreshed: 0, failed: 1 });
    expect(failed.failures).toEqual([{ user: 'failing', kind: 'server_error', message: expect.stringContaining('Gemini answered 500') }]);
    expect(await version(failing)).toBe(1);
    expect(await pass()).toMatchObject({ due: 0 });

    clock.set(WRITTEN_AT + 8 * DAY_MS + HOUR_MS + 1);
    expect(await pass()).toMatchObject({ due: 1, refreshed: 1, failed: 0 });
    expect(await version(failing)).toBe(2);
  });

  it('stops asking for users when aborted and leaves those asked for to the job runner', async () => {
    await user('one');
    await user('two');
    await backfill(app, { concurrency: 2, batchSize: 10 });
    clock.set(WRITTEN_AT + 8 * DAY_MS);
    const controller = new AbortController();
    provider.hold();
    const passing = pass({ signal: controller.signal });
    await until(() => provider.waiting === 2);
    controller.abort();
    expect(await passing).toMatchObject({ interrupted: true, due: 2, refreshed: 0, abandoned: 2 });
    expect(app.engine.runner.size).toEqual({ queued: 0, running: 2 });
    provider.release();
    await app.engine.runner.onIdle();
    expect(refreshed).toEqual([]);
  });

  it('leaves no listener on a long-lived signal after its passes end', async () => {
    await user('one');
    await backfill(app, { concurrency: 2, batchSize: 10 });
    const scheduler = new AbortController();
    for (const day of [8, 16, 24]) {
      clock.set(WRITTEN_AT + day * DAY_MS);
      expect(await pass({ signal: scheduler.signal, activeDays: 60 })).toMatchObject({ due: 1, refreshed: 1, interrupted: false });
      expect(getEventListeners(scheduler.signal, 'abort')).toHaveLength(0);
    }
  });

  it('refuses a horizon as long as the TTL, and active days or a limit that make no sense', async () => {
    await expect(pass({ horizonHours: 168 })).rejects.toThrow('the refresh horizon must be more than 0 and less than the TTL (168 hours); got 168');
    await expect(pass({ activeDays: 0 })).rejects.toThrow('active days must be a positive number; got 0');
    await expect(pass({ limit: 0 })).rejects.toThrow('the limit must be a whole number of at least 1; got 0');
  });

  it('purges the OAuth sign-ins left unanswered past their expiry', async () => {
    const client = await app.repositories.oauthClients.register({ clientId: 'purged-client', secretHash: null, metadata: {} });
    const pending = await app.repositories.oauthGrants.createPending({
      client_id: client.clientId, redirect_uri: 'https://c.example/cb', code_challenge: 'c', state: null, resource: 'https://n.example/mcp', scopes: [],
    });
    const left = () => app.database.db.selectFrom('oauth_pending_authorizations').select('id_hash').execute();
    await pass();
    expect(await left()).toHaveLength(1);
    await clock.advance(11 * 60_000);
    await pass();
    expect(await left()).toEqual([]);
    expect(await app.repositories.oauthGrants.takePending(pending.id)).toBe(false);
  });
});
