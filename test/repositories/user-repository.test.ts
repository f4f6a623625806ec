import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/open-database.js';
import { MemoryRepository } from '../../src/repositories/memory-repository.js';
import { UserRepository } from '../../src/repositories/user-repository.js';
import { DATABASES, openTestDatabase } from '../support/test-databases.js';

describe.each(DATABASES)('user repository on %s', (kind) => {
  let handle: DatabaseHandle;
  let users: UserRepository;

  beforeAll(async () => {
    handle = await openTestDatabase(kind);
    users = new UserRepository(handle.db);
  });
  afterAll(() => handle.close());

  async function rowsWithExternalId(externalId: string): Promise<number> {
    const rows = await handle.db.selectFrom('users').select('id').where('external_id', '=', externalId).execute();
    return rows.length;
  }

  it('creates a user on first use and returns the same user afterwards', async () => {
    const first = await users.getOrCreate('caroline', 'Caroline');
    const again = await users.getOrCreate('caroline', 'Someone Else');
    expect(first).toMatchObject({ external_id: 'caroline', display_name: 'Caroline' });
    expect(again).toEqual(first);
    expect(await users.findByExternalId('caroline')).toEqual(first);
    expect(await users.findById(first.id)).toEqual(first);
    expect(await rowsWithExternalId('caroline')).toBe(1);
  });

  it('creates exactly one user when twenty callers ask for the same new user at once', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => users.getOrCreate('popular')));
    expect(new Set(results.map((user) => user.id)).size).toBe(1);
    expect(await rowsWithExternalId('popular')).toBe(1);
  });

  it('creates a user only when the external id is free', async () => {
    const created = await users.create('melanie', 'Melanie');
    expect(created).toMatchObject({ external_id: 'melanie', display_name: 'Melanie' });
    expect(await users.create('melanie', 'Impostor')).toBeUndefined();
    expect(await users.findByExternalId('melanie')).toEqual(created);
  });

  it('finds nothing for an unknown external id', async () => {
    expect(await users.findByExternalId('nobody')).toBeUndefined();
  });
});

// A listing sees every user in the database, so each of these tests starts from an empty one.
describe.each(DATABASES)('listing users on %s', (kind) => {
  let handle: DatabaseHandle;
  let users: UserRepository;
  let memories: MemoryRepository;

  beforeEach(async () => {
    handle = await openTestDatabase(kind);
    users = new UserRepository(handle.db);
    memories = new MemoryRepository(handle.db);
  });
  afterEach(() => handle.close());

  it('counts only the live memories of each user', async () => {
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

  it('lists users page by page in order of external id', async () => {
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
