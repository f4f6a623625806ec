import pino from 'pino';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openApp, type App } from '../../src/app/app.js';
import { loadConfig } from '../../src/config/config.js';
import { openDatabase } from '../../src/db/open-database.js';
import { backfill } from '../../src/operations/backfill.js';
import { startRefreshScheduler, type RefreshScheduler, type RefreshTick } from '../../src/operations/refresh-scheduler.js';
import { withRefreshScheduler } from '../../src/operations/with-refresh-scheduler.js';
import { ControlledProvider } from '../support/controlled-provider.js';
import { ManualClock } from '../support/manual-clock.js';
import { createPostgresTestDatabase } from '../support/postgres-test-databases.js';
import { openTestApp } from '../support/test-app.js';
import { DATABASES } from '../support/test-databases.js';
import { until } from '../support/until.js';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
const WRITTEN_AT = Date.parse('2026-03-01T12:00:00Z');
const INTERVAL_MS = 15 * MINUTE_MS;
const PASS = { horizonHours: 24, activeDays: 30, limit: 100 };
const FACTS = ['works as a nurse', 'has twin boys', 'climbs on Sundays', 'learns Portuguese', 'lives in Porto'];

/** Users with five memories dated the day before WRITTEN_AT, and narratives written at WRITTEN_AT. */
async function usersWithNarratives(app: App, clock: ManualClock, names: readonly string[]): Promise<void> {
  clock.set(WRITTEN_AT);
  for (const name of names) {
    const { id } = await app.repositories.users.getOrCreate(name);
    const createdAt = new Date(WRITTEN_AT - DAY_MS);
    await app.engine.memories.add(id, FACTS.map((fact) => ({ content: `${name} ${fact}.`, created_at: createdAt })), 'test');
  }
  await backfill(app, { concurrency: 1, batchSize: 100 });
}

/** Random numbers the test chooses, in order (then 0.5 for ever). */
function scripted(...values: number[]): () => number {
  return () => values.shift() ?? 0.5;
}

/** Wakes the scheduler's sleep on `clock` after `ms`, and waits until its tick has been reported. */
async function tickAfter(clock: ManualClock, ms: number, ticks: RefreshTick[]): Promise<RefreshTick> {
  const before = ticks.length;
  await until(() => clock.pendingSleeps > 0);
  await clock.advance(ms);
  await until(() => ticks.length > before);
  return ticks.at(-1)!;
}

describe.each(DATABASES)('the refresh scheduler on %s', (kind) => {
  let app: App;
  let clock: ManualClock;
  let provider: ControlledProvider;
  let ticks: RefreshTick[];
  let scheduler: RefreshScheduler | undefined;

  beforeEach(async () => {
    provider = new ControlledProvider();
    clock = new ManualClock(WRITTEN_AT);
    app = await openTestApp(kind, { LLM_CONCURRENCY: '1' }, { provider, clock });
    ticks = [];
  });
  afterEach(async () => {
    await scheduler?.stop();
    scheduler = undefined;
    await app.close({ graceMs: 0 });
  });

  it('runs its first pass within the jitter of the start, then one every interval give or take the jitter', async () => {
    await usersWithNarratives(app, clock, ['ana', 'ben']);
    clock.set(WRITTEN_AT + 8 * DAY_MS);
    scheduler = startRefreshScheduler(app, { ...PASS, intervalMs: INTERVAL_MS, jitter: 0.2, random: scripted(0.25, 0.999999, 0), onTick: (tick) => ticks.push(tick) });

    // First wait: 0.2 × 0.25 × 15 minutes = 45 seconds.
    await until(() => clock.pendingSleeps > 0);
    await clock.advance(45_000 - 1);
    expect(ticks).toEqual([]);
    expect(await tickAfter(clock, 1, ticks)).toMatchObject({ leader: true, summary: { due: 2, refreshed: 2, failed: 0 } });

    // Then 15 minutes × (1 + 0.2 × (2 × 0.999999 − 1)) ≈ 18 minutes, then 15 × 0.8 = 12 minutes.
    await until(() => clock.pendingSleeps > 0);
    await clock.advance(18 * MINUTE_MS - 100);
    expect(ticks).toHaveLength(1);
    expect(await tickAfter(clock, 100, ticks)).toMatchObject({ leader: true, summary: { due: 0 } });
    expect(await tickAfter(clock, 12 * MINUTE_MS, ticks)).toMatchObject({ leader: true, summary: { due: 0 } });
    expect(provider.calls.narrative).toBe(4);
  });

  it('stops between passes, leaving no sleep behind', async () => {
    scheduler = startRefreshScheduler(app, { ...PASS, intervalMs: INTERVAL_MS, onTick: (tick) => ticks.push(tick) });
    await until(() => clock.pendingSleeps > 0);
    await scheduler.stop();
    expect(clock.pendingSleeps).toBe(0);
    expect(ticks).toEqual([]);
  });

  it('runs beside a server only when REFRESH_INTERVAL_MINUTES is set, and stops when the server does', async () => {
    let sleepsDuringWork = -1;
    await withRefreshScheduler(app, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      sleepsDuringWork = clock.pendingSleeps;
    });
    expect(sleepsDuringWork).toBe(0);

    const scheduled = await openApp(loadConfig({ REFRESH_INTERVAL_MINUTES: '30' }), pino({ level: 'silent' }), {
      database: app.database,
      migrate: false,
      provider,
      clock,
    });
    await withRefreshScheduler(scheduled, async () => {
      await until(() => clock.pendingSleeps > 0);
      sleepsDuringWork = clock.pendingSleeps;
    });
    expect(sleepsDuringWork).toBe(1);
    expect(clock.pendingSleeps).toBe(0);
  });
});

describe.skipIf(!process.env.DATABASE_URL)('two refresh schedulers on one PostgreSQL database', () => {
  let database: { url: string; drop: () => Promise<void> };
  let admin: postgres.Sql;
  const members: { app: App; clock: ManualClock; provider: ControlledProvider; ticks: RefreshTick[]; scheduler?: RefreshScheduler }[] = [];

  async function member(): Promise<(typeof members)[number]> {
    const handle = await openDatabase({ databaseUrl: database.url, dataDir: '', poolSize: 4 });
    const clock = new ManualClock(WRITTEN_AT);
    const provider = new ControlledProvider();
    const app = await openApp(loadConfig({ LLM_CONCURRENCY: '1' }), pino({ level: 'silent' }), { database: handle, migrate: false, provider, clock });
    const created = { app, clock, provider, ticks: [] as RefreshTick[] };
    members.push(created);
    return created;
  }

  function start(one: (typeof members)[number]): RefreshScheduler {
    one.scheduler = startRefreshScheduler(one.app, { ...PASS, intervalMs: INTERVAL_MS, random: scripted(), onTick: (tick) => one.ticks.push(tick) });
    return one.scheduler;
  }

  /** The server process holding the refresh leadership, as PostgreSQL sees it. */
  async function leaderPids(): Promise<number[]> {
    const key = 'narrative-mcp:leader:narrative-refresh';
    const rows = await admin<{ pid: number }[]>`
      select pid from pg_locks where locktype = 'advisory' and granted and objsubid = 1
        and classid::bigint = (hashtextextended(${key}, 0) >> 32) & 4294967295
        and objid::bigint = hashtextextended(${key}, 0) & 4294967295`;
    return rows.map((row) => row.pid);
  }

  beforeAll(async () => {
    database = await createPostgresTestDatabase();
    admin = postgres(database.url, { max: 1, onnotice: () => {} });
  });
  afterEach(async () => {
    for (const one of members.splice(0)) {
      await one.scheduler?.stop();
      await one.app.close({ graceMs: 0 });
    }
    await admin`truncate users cascade`;
  });
  afterAll(async () => {
    await admin.end();
    await database.drop();
  });

  it('lets only one of them work: the leader refreshes every due narrative once and the other stands by', async () => {
    const [a, b] = [await member(), await member()];
    await usersWithNarratives(a.app, a.clock, ['ana', 'ben', 'cy']);
    const written = a.provider.calls.narrative;
    for (const one of [a, b]) one.clock.set(WRITTEN_AT + 8 * DAY_MS);
    start(a);
    start(b);

    // Both wake at the same moment; whichever takes the lock first leads, the other stands by.
    await until(() => a.clock.pendingSleeps > 0 && b.clock.pendingSleeps > 0);
    await Promise.all([a.clock.advance(INTERVAL_MS), b.clock.advance(INTERVAL_MS)]);
    await until(() => a.ticks.length === 1 && b.ticks.length === 1);
    const leader = a.ticks[0]!.leader ? a : b;
    const follower = leader === a ? b : a;
    expect([leader.ticks[0], follower.ticks[0]]).toMatchObject([{ leader: true, summary: { due: 3, refreshed: 3 } }, { leader: false }]);
    expect(a.provider.calls.narrative + b.provider.calls.narrative - written).toBe(3);
    expect(await leaderPids()).toHaveLength(1);

    // The leadership stays where it is between passes.
    for (let round = 0; round < 3; round++) {
      expect(await tickAfter(follower.clock, INTERVAL_MS, follower.ticks)).toEqual({ leader: false });
      expect(await tickAfter(leader.clock, INTERVAL_MS, leader.ticks)).toMatchObject({ leader: true, summary: { due: 0 } });
    }
    const versions = await admin<{ version: number }[]>`select version from user_narratives`;
    expect(versions.map((row) => row.version)).toEqual([2, 2, 2]);
  });

  it('hands the leadership over when the leader stops, and when its database connection dies', async () => {
    const [a, b] = [await member(), await member()];
    start(a);
    expect(await tickAfter(a.clock, INTERVAL_MS, a.ticks)).toMatchObject({ leader: true });
    start(b);
    expect(await tickAfter(b.clock, INTERVAL_MS, b.ticks)).toEqual({ leader: false });

    await a.scheduler!.stop();
    expect(await leaderPids()).toEqual([]);
    expect(await tickAfter(b.clock, INTERVAL_MS, b.ticks)).toMatchObject({ leader: true });
    start(a);
    expect(await tickAfter(a.clock, INTERVAL_MS, a.ticks)).toEqual({ leader: false });

    const [pid] = await leaderPids();
    await admin`select pg_terminate_backend(${pid!})`;
    await until(async () => (await leaderPids()).length === 0);
    expect(await tickAfter(a.clock, INTERVAL_MS, a.ticks)).toMatchObject({ leader: true });
    expect(await tickAfter(b.clock, INTERVAL_MS, b.ticks)).toEqual({ leader: false });
    expect(await leaderPids()).toHaveLength(1);
  });
});
