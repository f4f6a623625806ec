import { randomUUID } from 'node:crypto';
import pino from 'pino';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openApp, type App } from '../../src/app/app.js';
import { loadConfig } from '../../src/config/config.js';
import { ControlledProvider } from '../support/controlled-provider.js';
import { holdTransaction } from '../support/held-transaction.js';
import { ManualClock } from '../support/manual-clock.js';
import { createPostgresTestDatabase } from '../support/postgres-test-databases.js';
import { openTestApp } from '../support/test-app.js';
import { DATABASES } from '../support/test-databases.js';
import { until } from '../support/until.js';

const LEASE_MS = 60_000;
const RENEWAL_MS = LEASE_MS / 3;
const FACTS = ['Ines keeps bees.', 'Ines has a son, Rui.', 'Ines rows at dawn.', 'Ines studies Latin.', 'Ines lives in Braga.'];

describe.each(DATABASES)("the lease on a user's generation on %s", (kind) => {
  let app: App;
  let provider: ControlledProvider;
  let clock: ManualClock;
  let userId: string;

  /** Another process takes the lease at `at` on its own clock, and never gives it back. */
  const anotherProcessTakesTheLease = (at: number) =>
    app.repositories.generationState.takeLease(userId, randomUUID(), { now: new Date(at), expiresAt: new Date(at + LEASE_MS) });

  /** The narrative job's sleeps while the LLM writes: the attempt's timeout and the lease's renewal. */
  const renewalScheduled = () => until(() => clock.pendingSleeps === 2);

  beforeEach(async () => {
    provider = new ControlledProvider();
    clock = new ManualClock(new Date('2026-03-01T12:00:00Z'));
    app = await openTestApp(kind, { NARRATIVE_LEASE_SECONDS: String(LEASE_MS / 1_000) }, { provider, clock });
    userId = (await app.repositories.users.getOrCreate('ines')).id;
    await app.engine.memories.add(userId, FACTS.map((content) => ({ content })), 'test');
  });
  afterEach(async () => {
    provider.release();
    await app.close({ graceMs: 0 });
  });

  it("lets the next generation proceed once a crashed process's lease has expired", async () => {
    expect(await anotherProcessTakesTheLease(clock.now())).toBe(true);
    expect(await app.engine.runner.request(userId, 'miss').done).toEqual({ status: 'skipped', reason: 'locked' });

    await clock.advance(LEASE_MS - 1);
    expect(await app.engine.runner.request(userId, 'miss').done).toEqual({ status: 'skipped', reason: 'locked' });
    await clock.advance(1);
    expect(await app.engine.runner.request(userId, 'miss').done).toMatchObject({ status: 'written', narrative: { version: 1 } });
    expect(provider.calls.narrative).toBe(1);
  });

  it('gives the lease back when the narrative is written, so the next generation needs no wait', async () => {
    expect(await app.engine.runner.request(userId, 'miss').done).toMatchObject({ status: 'written' });
    expect(await app.repositories.generationState.get(userId)).toMatchObject({ lease_token: null, lease_expires_at: null });
    expect(await anotherProcessTakesTheLease(clock.now())).toBe(true);
  });

  it('keeps the lease while the LLM writes for longer than the lease lasts, by renewing it', async () => {
    provider.hold();
    const job = app.engine.runner.request(userId, 'miss');
    await until(() => provider.waiting === 1);
    for (let renewal = 1; renewal <= 4; renewal++) {
      await renewalScheduled();
      await clock.advance(RENEWAL_MS);
    }
    await renewalScheduled();
    expect(await anotherProcessTakesTheLease(clock.now())).toBe(false);

    provider.release();
    expect(await job.done).toMatchObject({ status: 'written', narrative: { version: 1 } });
  });

  it('stores nothing when another process took the lease over while the LLM wrote', async () => {
    provider.hold();
    const job = app.engine.runner.request(userId, 'miss');
    await until(() => provider.waiting === 1);
    // A process whose clock is past the lease's expiry: this one stalled, and no renewal came in time.
    expect(await anotherProcessTakesTheLease(clock.now() + LEASE_MS)).toBe(true);

    provider.release();
    expect(await job.done).toEqual({ status: 'skipped', reason: 'lease_lost' });
    expect(await app.repositories.narratives.get(userId)).toBeUndefined();
    expect((await app.engine.status.status(userId)).last_failure).toBeNull();
  });

  it('fences the write with the success and the release in one statement, undone with the write if it fails', async () => {
    const token = randomUUID();
    const now = new Date(clock.now());
    expect(await app.repositories.generationState.takeLease(userId, token, { now, expiresAt: new Date(clock.now() + LEASE_MS) })).toBe(true);
    expect(await app.repositories.generationState.claimSuccessAndRelease(userId, randomUUID(), now)).toBe(false);
    await expect(
      app.repositories.transaction(async (transaction) => {
        expect(await transaction.generationState.claimSuccessAndRelease(userId, token, now)).toBe(true);
        throw new Error('the write failed');
      }),
    ).rejects.toThrow('the write failed');
    expect(await app.repositories.generationState.get(userId)).toMatchObject({ lease_token: token, last_success_at: null });
    expect(await anotherProcessTakesTheLease(clock.now())).toBe(false);

    expect(await app.repositories.generationState.claimSuccessAndRelease(userId, token, now)).toBe(true);
    expect(await app.repositories.generationState.get(userId)).toMatchObject({ lease_token: null, last_success_at: now });
  });

  it('aborts the LLM call when a renewal finds the lease taken over', async () => {
    provider.hold();
    const job = app.engine.runner.request(userId, 'miss');
    await until(() => provider.waiting === 1);
    expect(await anotherProcessTakesTheLease(clock.now() + LEASE_MS)).toBe(true);

    await renewalScheduled();
    await clock.advance(RENEWAL_MS);
    expect(await job.done).toEqual({ status: 'skipped', reason: 'lease_lost' });
    expect(provider.waiting).toBe(0);
    expect(await app.repositories.narratives.get(userId)).toBeUndefined();
  });
});

describe.skipIf(!process.env.DATABASE_URL)('many generations on a small PostgreSQL pool', () => {
  const USERS = 64;
  const POOL_SIZE = 5;
  let database: { url: string; drop: () => Promise<void> };
  let admin: postgres.Sql;
  let app: App;
  let provider: ControlledProvider;

  /** The app's sessions on its database, as PostgreSQL sees them. */
  async function appSessions(): Promise<number> {
    const [row] = await admin<{ count: number }[]>`
      select count(*)::int as count from pg_stat_activity where datname = current_database() and application_name = 'narrative-mcp'`;
    return row!.count;
  }

  beforeAll(async () => {
    database = await createPostgresTestDatabase();
    admin = postgres(database.url, { max: 1, onnotice: () => {} });
    provider = new ControlledProvider();
    const config = loadConfig({
      DATABASE_URL: database.url,
      DATABASE_POOL_SIZE: String(POOL_SIZE),
      LLM_CONCURRENCY: String(USERS),
      LLM_CALLS_PER_MINUTE: '100000',
    });
    app = await openApp(config, pino({ level: 'silent' }), { provider, clock: new ManualClock(new Date('2026-03-01T12:00:00Z')), holdUsers: false });
  });
  afterAll(async () => {
    provider?.release();
    await app?.close({ graceMs: 0 });
    await admin?.end();
    await database?.drop();
  });

  it(`has all ${USERS} in the LLM at once on ${POOL_SIZE} connections, then writes each once`, { timeout: 120_000 }, async () => {
    const userIds: string[] = [];
    for (let index = 0; index < USERS; index++) {
      const { id } = await app.repositories.users.getOrCreate(`pool-user-${index}`);
      await app.engine.memories.add(id, FACTS.map((content) => ({ content: `${index}: ${content}` })), 'test');
      userIds.push(id);
    }

    provider.hold();
    const jobs = userIds.map((userId) => app.engine.runner.request(userId, 'backfill'));
    await until(() => provider.waiting === USERS, 60_000);
    expect(await appSessions()).toBeLessThanOrEqual(POOL_SIZE);

    provider.release();
    const outcomes = await Promise.all(jobs.map((job) => job.done));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(userIds.map(() => 'written'));
    const versions = await admin<{ version: number }[]>`select version from user_narratives`;
    expect(versions.map((row) => row.version)).toEqual(userIds.map(() => 1));
    expect(provider.calls.narrative).toBe(USERS);
  });
});

// PGlite is one session, so a store is never open while another process takes the lease.
describe.skipIf(!process.env.DATABASE_URL)("taking the lease from a holder that is committing its narrative", () => {
  let app: App;
  let clock: ManualClock;
  let provider: ControlledProvider;
  let monitor: postgres.Sql;
  let database: { url: string; drop: () => Promise<void> };

  beforeAll(async () => {
    database = await createPostgresTestDatabase();
    monitor = postgres(database.url, { max: 1, onnotice: () => {} });
    provider = new ControlledProvider();
    clock = new ManualClock(new Date('2026-03-01T12:00:00Z'));
    const config = loadConfig({ DATABASE_URL: database.url, NARRATIVE_LEASE_SECONDS: String(LEASE_MS / 1_000) });
    app = await openApp(config, pino({ level: 'silent' }), { provider, clock, holdUsers: false });
  });
  afterAll(async () => {
    await app?.close({ graceMs: 0 });
    await monitor?.end();
    await database?.drop();
  });

  it("reads the holder's narrative once it commits, though the lease's own snapshot began before, and writes nothing", async () => {
    const userId = (await app.repositories.users.getOrCreate('ines')).id;
    await app.engine.memories.add(userId, FACTS.map((content) => ({ content })), 'test');
    const token = randomUUID();
    const at = new Date(clock.now());
    expect(await app.repositories.generationState.takeLease(userId, token, { now: at, expiresAt: new Date(clock.now() + LEASE_MS) })).toBe(true);

    // Another process stores its narrative and holds its transaction open before the commit.
    const holder = await holdTransaction(app.repositories, async (trx) => {
      expect(await trx.generationState.claimSuccessAndRelease(userId, token, at)).toBe(true);
      await trx.narratives.write(userId, {
        content: 'Ines keeps bees and rows at dawn.',
        provider: 'offline',
        model: 'offline-extractive-1',
        memoryCount: FACTS.length,
        newestMemoryAt: null,
        sourceMemoryIds: [],
        generationMs: 5,
        generatedAt: at,
        sourceMaxSeq: String(FACTS.length),
        buildKind: 'full',
        tokens: null,
        sourceExpiresAt: null,
      });
    });

    const job = app.engine.runner.request(userId, 'miss');
    await until(async () => (await monitor<{ waiting: number }[]>`
      select count(*)::int as waiting from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)[0]!.waiting === 1);
    holder.commit();
    await holder.committed;

    expect(await job.done).toEqual({ status: 'skipped', reason: 'fresh' });
    expect(provider.calls.narrative).toBe(0);
    expect((await app.repositories.narratives.get(userId))?.version).toBe(1);
  });
});
