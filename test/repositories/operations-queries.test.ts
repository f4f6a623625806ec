import { describe, expect } from 'vitest';
import type { DatabaseHandle } from '../../src/db/open-database.js';
import { refreshOffsetMs } from '../../src/operations/refresh-offset.js';
import type { RepositorySet } from '../../src/repositories/repository-set.js';
import { databaseTest } from '../support/database-test.js';
import { DATABASES } from '../support/test-databases.js';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
const NOW = new Date('2026-03-10T00:00:00Z');
const TTL_MS = 7 * DAY_MS;
const WINDOW_MS = DAY_MS;

// The queries see every user in the database, so each test starts from an empty one.
describe.each(DATABASES)('the queries behind backfill and refresh on %s', (kind) => {
  const it = databaseTest(kind, { ownDatabase: true });
  let handle: DatabaseHandle;
  let repositories: RepositorySet;
  it.beforeEach(({ database, repositories: ofTheTest }) => {
    handle = database;
    repositories = ofTheTest;
  });

  /** A user with `count` live memories dated `daysAgo` days before NOW. */
  async function userWith(externalId: string, count: number, daysAgo = 1): Promise<string> {
    const { id } = await repositories.users.getOrCreate(externalId);
    const createdAt = new Date(NOW.getTime() - daysAgo * DAY_MS);
    await repositories.memories.addMany(
      id,
      Array.from({ length: count }, (_, n) => ({ content: `${externalId} fact ${n}`, created_at: createdAt })),
      'test',
    );
    return id;
  }

  async function narrativeFor(userId: string, generatedAt: Date): Promise<void> {
    await repositories.narratives.write(userId, {
      content: 'A narrative.',
      provider: 'test',
      model: 'test',
      memoryCount: 5,
      newestMemoryAt: null,
      sourceMemoryIds: [],
      generationMs: 1,
      generatedAt,
      sourceMaxSeq: '999999999',
      buildKind: 'full',
      tokens: null,
      sourceExpiresAt: null,
    });
  }

  const due = (limit = 100) =>
    repositories.narratives.dueForRefresh({
      now: NOW,
      ttlMs: TTL_MS,
      windowMs: WINDOW_MS,
      invalidateAfterNewMemories: 20,
      activeSince: new Date(NOW.getTime() - 30 * DAY_MS),
      limit,
    });

  it('pages through the users with enough live memories by external id, and counts them', async () => {
    for (const [name, count] of [['e', 5], ['a', 6], ['d', 4], ['c', 9], ['b', 5], ['f', 12]] as const) await userWith(name, count);
    const f = (await repositories.users.findByExternalId('f'))!;
    const some = await repositories.memories.recent(f.id, { limit: 8 });
    await repositories.memories.softDelete(f.id, some.map((memory) => memory.id));

    const pages: string[][] = [];
    let after: string | undefined;
    for (;;) {
      const page = await repositories.users.pageWithMinMemories({ minMemories: 5, limit: 2, ...(after ? { after } : {}) });
      pages.push(page.map((user) => `${user.external_id}:${user.memory_count}`));
      if (page.length < 2) break;
      after = page.at(-1)!.external_id;
    }
    expect(pages).toEqual([['a:6', 'b:5'], ['c:9', 'e:5'], []]);
    expect(await repositories.users.countWithMinMemories(5)).toBe(4);
    expect(await repositories.users.countWithMinMemories(7)).toBe(1);
  });

  it('finds a narrative due when its refresh moment has come, at the offset the TypeScript function gives', async () => {
    // Ids whose first 32 bits put the users at 3, 9, 15 and 21 hours into a one-day window.
    const users = ['20000000', '60000000', 'a0000000', 'e0000000'].map((prefix) => `${prefix}-1111-4111-8111-111111111111`);
    for (const [n, id] of users.entries()) {
      await handle.db.insertInto('users').values({ id, external_id: `spread-${n}` }).execute();
      await repositories.memories.addMany(id, [{ content: 'A fact.', created_at: new Date(NOW.getTime() - DAY_MS) }], 'test');
    }
    // All written 6.5 days ago: the window opened 12 hours ago, so the first two are due.
    const generatedAt = new Date(NOW.getTime() - 6.5 * DAY_MS);
    for (const user of users) await narrativeFor(user, generatedAt);

    const found = await due();
    expect(found.map((row) => row.user_id)).toEqual(users.slice(0, 2));
    for (const row of found) {
      expect(row.due_at.getTime()).toBe(generatedAt.getTime() + TTL_MS - WINDOW_MS + refreshOffsetMs(row.user_id, WINDOW_MS));
    }
    expect(found.map((row) => row.due_at.toISOString())).toEqual(['2026-03-09T15:00:00.000Z', '2026-03-09T21:00:00.000Z']);
  });

  it('finds stale narratives at once, leaves fresh ones and inactive users, and keeps to the limit', async () => {
    const fresh = await userWith('fresh', 5);
    const invalidated = await userWith('invalidated', 5);
    const inactive = await userWith('inactive', 5, 60);
    const expired = await userWith('expired', 5);
    const manual = await userWith('manual-only', 5, 60);
    await narrativeFor(fresh, NOW);
    await narrativeFor(invalidated, NOW);
    await handle.db.updateTable('user_narratives').set({ invalidated_at: NOW }).where('user_id', '=', invalidated).execute();
    await narrativeFor(inactive, new Date(NOW.getTime() - 10 * DAY_MS));
    await narrativeFor(expired, new Date(NOW.getTime() - 10 * DAY_MS));
    await narrativeFor(manual, new Date(NOW.getTime() - 9 * DAY_MS));
    await repositories.generationState.takeManualRequest(manual, new Date(NOW.getTime() - DAY_MS), HOUR_MS, 6);

    expect((await due()).map((row) => row.user_id)).toEqual([expired, manual, invalidated]);
    expect((await due(1)).map((row) => row.user_id)).toEqual([expired]);
  });

  it('holds back a user whose last attempt failed for an hour, doubling per failure', async () => {
    const user = await userWith('failing', 5);
    await narrativeFor(user, new Date(NOW.getTime() - 10 * DAY_MS));
    const failure = (at: number) =>
      repositories.generationState.recordFailure(user, { at: new Date(at), kind: 'server_error', message: 'down' });

    await failure(NOW.getTime() - 30 * 60 * 1000);
    expect(await due()).toEqual([]);
    await handle.db.updateTable('narrative_generation_state').set({ last_failure_at: new Date(NOW.getTime() - 61 * 60 * 1000) }).execute();
    expect((await due()).map((row) => row.user_id)).toEqual([user]);

    await failure(NOW.getTime() - 90 * 60 * 1000);
    expect(await due()).toEqual([]);
  });
});
