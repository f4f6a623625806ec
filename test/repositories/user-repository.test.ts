import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { describe, expect } from 'vitest';
import type { DatabaseSchema } from '../../src/db/database-schema.js';
import { GenerationStateRepository } from '../../src/repositories/generation-state-repository.js';
import { UserRepository } from '../../src/repositories/user-repository.js';
import { ManualClock } from '../support/manual-clock.js';
import { databaseTest } from '../support/database-test.js';
import { DATABASES } from '../support/test-databases.js';

async function rowsWithExternalId(db: Kysely<DatabaseSchema>, externalId: string): Promise<number> {
  const rows = await db.selectFrom('users').select('id').where('external_id', '=', externalId).execute();
  return rows.length;
}

describe.each(DATABASES)('user repository on %s', (kind) => {
  const it = databaseTest(kind);

  it('creates a user on first use and returns the same user afterwards', async ({ database, repositories: { users } }) => {
    const first = await users.getOrCreate('caroline', 'Caroline');
    const again = await users.getOrCreate('caroline', 'Someone Else');
    expect(first).toMatchObject({ external_id: 'caroline', display_name: 'Caroline' });
    expect(again).toEqual(first);
    expect(await users.findByExternalId('caroline')).toEqual(first);
    expect(await users.findById(first.id)).toEqual(first);
    expect(await rowsWithExternalId(database.db, 'caroline')).toBe(1);
  });

  it('creates exactly one user when twenty callers ask for the same new user at once', async ({ database, repositories: { users } }) => {
    const results = await Promise.all(Array.from({ length: 20 }, () => users.getOrCreate('popular')));
    expect(new Set(results.map((user) => user.id)).size).toBe(1);
    expect(await rowsWithExternalId(database.db, 'popular')).toBe(1);
  });

  it('creates a user only when the external id is free', async ({ repositories: { users } }) => {
    const created = await users.create('melanie', 'Melanie');
    expect(created).toMatchObject({ external_id: 'melanie', display_name: 'Melanie' });
    expect(await users.create('melanie', 'Impostor')).toBeUndefined();
    expect(await users.findByExternalId('melanie')).toEqual(created);
  });

  it('finds nothing for an unknown external id', async ({ repositories: { users } }) => {
    expect(await users.findByExternalId('nobody')).toBeUndefined();
  });

  it('reads what a generation starts from in one go: the user, their live memories counted, and their narrative', async ({
    repositories: { users, memories, narratives },
  }) => {
    const user = await users.getOrCreate('snapshot', 'Snap');
    const { added } = await memories.addMany(
      user.id,
      [
        { content: 'Plays the cello', created_at: new Date('2024-01-01T00:00:00Z') },
        { content: 'Grew up in Porto', created_at: new Date('2024-02-01T00:00:00Z') },
        { content: 'Has two cats', created_at: new Date('2024-03-01T00:00:00Z') },
      ],
      'test',
    );
    await memories.softDelete(user.id, [added[2]!.id]);

    const before = await users.findForGeneration(user.id, 10);
    expect(before).toEqual({
      user: { ...user, memory_seq: '3' },
      stats: { count: 2, newestAt: new Date('2024-02-01T00:00:00Z'), maxSeq: '2' },
      narrative: undefined,
      memories: await memories.newestWithSeq(user.id, 10),
    });

    const written = await narratives.write(user.id, {
      content: 'Snap plays the cello.',
      provider: 'offline',
      model: 'offline-extractive-1',
      memoryCount: 2,
      newestMemoryAt: null,
      sourceMemoryIds: [added[0]!.id],
      generationMs: 3,
      generatedAt: new Date('2024-03-02T00:00:00Z'),
      sourceMaxSeq: '2',
      buildKind: 'full',
      tokens: null,
      sourceExpiresAt: null,
    });
    expect((await users.findForGeneration(user.id, 10))!.narrative).toEqual(written);
    expect(await users.findForGeneration('00000000-0000-4000-8000-000000000000', 10)).toBeUndefined();
    expect((await users.findForGeneration(user.id, 1))!.memories.map((memory) => memory.content)).toEqual(['Grew up in Porto']);
  });

  it("reads it in the statement that takes the lease on the user's generation, and nothing while another holds it", async ({
    repositories: { users, memories, generationState },
  }) => {
    const user = await users.getOrCreate('leased');
    await memories.addMany(user.id, [{ content: 'Keeps bees', metadata: { topic: 'hobby' } }, { content: 'Rows at dawn' }], 'test');
    const now = new Date('2024-05-01T00:00:00Z');
    const term = { now, expiresAt: new Date(now.getTime() + 60_000) };

    const leased = await users.leaseForGeneration(user.id, { token: randomUUID(), ...term }, 10);
    expect(leased).toEqual({ ...(await users.findForGeneration(user.id, 10)), lastSuccessAt: null });
    expect(await users.leaseForGeneration(user.id, { token: randomUUID(), ...term }, 10)).toBeUndefined();
    expect(await generationState.takeLease(user.id, randomUUID(), term)).toBe(false);
    expect(await users.leaseForGeneration('00000000-0000-4000-8000-000000000000', { token: randomUUID(), ...term }, 10)).toBeUndefined();
  });

  for (const withoutDiskWait of [true, false]) {
    it(`commits the store under a lease ${withoutDiskWait ? 'without waiting for the disk, and nothing else' : 'as any other'} when told to`, async ({
      database,
      repositories: { users, memories },
    }) => {
      const synchronousCommit = async (db: Kysely<DatabaseSchema>) =>
        (await sql<{ mode: string }>`select current_setting('synchronous_commit') as mode`.execute(db)).rows[0]!.mode;
      const user = await users.getOrCreate(`unhurried-${withoutDiskWait}`);
      await memories.addMany(user.id, [{ content: 'Keeps bees' }], 'test');
      const now = new Date('2024-05-01T00:00:00Z');
      const token = randomUUID();
      const leasing = new UserRepository(database.db, new ManualClock(now), { withoutDiskWait });
      expect(await leasing.leaseForGeneration(user.id, { token, now, expiresAt: new Date(now.getTime() + 60_000) }, 10)).toBeDefined();
      expect(await synchronousCommit(database.db)).toBe('on');

      const modes = await database.db.transaction().execute(async (trx) => {
        const before = await synchronousCommit(trx);
        expect(await new GenerationStateRepository(trx, { withoutDiskWait }).claimSuccessAndRelease(user.id, token, now)).toBe(true);
        return { before, after: await synchronousCommit(trx) };
      });
      expect(modes).toEqual({ before: 'on', after: withoutDiskWait ? 'off' : 'on' });
      expect(await synchronousCommit(database.db)).toBe('on');
    });
  }
});

// A listing sees every user in the database, so each of these tests starts from an empty one.
describe.each(DATABASES)('listing users on %s', (kind) => {
  const it = databaseTest(kind, { ownDatabase: true });

  it('counts only the live memories of each user', async ({ repositories: { users, memories } }) => {
    const alice = await users.getOrCreate('alice');
    await users.getOrCreate('bob');
    const { added } = await memories.addMany(
      alice.id,
      [{ content: 'Plays the cello' }, { content: 'Grew up in Porto' }, { content: 'Has two cats' }],
      'test',
    );
    await memories.softDelete(alice.id, [added[0]!.id]);
    const listed = await users.listWithMemoryCounts({ limit: 10 });
    expect(listed.map((user) => [user.external_id, user.memory_count])).toEqual([
      ['alice', 2],
      ['bob', 0],
    ]);
  });

  it('lists users page by page in order of external id', async ({ repositories: { users } }) => {
    for (const externalId of ['delta', 'alpha', 'echo', 'charlie', 'bravo']) await users.getOrCreate(externalId);
    const firstPage = await users.listWithMemoryCounts({ limit: 2 });
    const secondPage = await users.listWithMemoryCounts({ after: firstPage.at(-1)!.external_id, limit: 2 });
    const lastPage = await users.listWithMemoryCounts({ after: secondPage.at(-1)!.external_id, limit: 2 });
    const emptyPage = await users.listWithMemoryCounts({ after: lastPage.at(-1)!.external_id, limit: 2 });
    expect([firstPage, secondPage, lastPage].map((page) => page.map((user) => user.external_id))).toEqual([
      ['alpha', 'bravo'],
      ['charlie', 'delta'],
      ['echo'],
    ]);
    expect(emptyPage).toEqual([]);
  });
});
