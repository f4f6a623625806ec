import { describe, expect } from 'vitest';
import { contentHash } from '../../src/memories/memory-input.js';
import { databaseTest } from '../support/database-test.js';
import { DATABASES } from '../support/test-databases.js';

describe.each(DATABASES)('memory repository on %s', (kind) => {
  const it = databaseTest(kind);

  it('adds many memories at once and counts only the live ones', async ({ repositories: { users, memories } }) => {
    const user = await users.getOrCreate('counting-user');
    const { added, duplicates } = await memories.addMany(
      user.id,
      [{ content: 'Likes hiking in the Alps' }, { content: 'Works as a nurse' }, { content: 'likes  hiking in the alps' }],
      'test',
    );
    expect(added).toHaveLength(2);
    expect(duplicates).toBe(1);
    expect(await memories.count(user.id)).toBe(2);
    await memories.softDelete(user.id, [added[0]!.id]);
    expect(await memories.count(user.id)).toBe(1);
  });

  it('does not store the same text twice for a user, but lets another user have it', async ({ repositories: { users, memories } }) => {
    const first = await users.getOrCreate('dedupe-a');
    const second = await users.getOrCreate('dedupe-b');
    await memories.addMany(first.id, [{ content: 'Has a dog named Rex' }], 'test');
    const again = await memories.addMany(first.id, [{ content: 'Has a dog named Rex' }], 'test');
    const other = await memories.addMany(second.id, [{ content: 'Has a dog named Rex' }], 'test');
    expect(again).toEqual({ added: [], duplicates: 1 });
    expect(other.added).toHaveLength(1);
  });

  it('lets a forgotten memory be added again', async ({ repositories: { users, memories } }) => {
    const user = await users.getOrCreate('re-add');
    const { added } = await memories.addMany(user.id, [{ content: 'Lives in Lisbon' }], 'test');
    await memories.softDelete(user.id, [added[0]!.id]);
    const again = await memories.addMany(user.id, [{ content: 'Lives in Lisbon' }], 'test');
    expect(again.added).toHaveLength(1);
  });

  it('keeps metadata and the given creation time', async ({ repositories: { users, memories } }) => {
    const user = await users.getOrCreate('metadata-user');
    const createdAt = new Date('2023-05-08T13:56:00Z');
    const { added } = await memories.addMany(
      user.id,
      [{ content: 'Painted a lake sunrise', metadata: { session: 1, tags: ['art'] }, created_at: createdAt }],
      'import',
    );
    expect(added[0]).toMatchObject({ metadata: { session: 1, tags: ['art'] }, source: 'import' });
    expect(added[0]!.created_at.toISOString()).toBe(createdAt.toISOString());
  });

  it("numbers each user's memories from 1 in the order they are added, skipping a duplicate's number", async ({ repositories: { users, memories } }) => {
    const [first, second] = [await users.getOrCreate('numbered-a'), await users.getOrCreate('numbered-b')];
    await memories.addMany(first.id, [{ content: 'Sings in a choir' }, { content: 'Keeps bees' }], 'test');
    await memories.addMany(second.id, [{ content: 'Keeps bees' }], 'test');
    await memories.addMany(first.id, [{ content: 'keeps  bees' }, { content: 'Rows at dawn' }], 'test');
    const numbers = async (userId: string) =>
      (await memories.newestWithSeq(userId, 10)).map((memory) => `${memory.content}: ${memory.seq}`).sort();
    expect(await numbers(first.id)).toEqual(['Keeps bees: 2', 'Rows at dawn: 4', 'Sings in a choir: 1']);
    expect(await numbers(second.id)).toEqual(['Keeps bees: 1']);
    expect((await memories.stats(first.id)).maxSeq).toBe('4');
    const upTo = await memories.newestWithSeq(first.id, 10, { upToSeq: '2' });
    expect(upTo.map((memory) => memory.content).sort()).toEqual(['Keeps bees', 'Sings in a choir']);
    const addedSince = await memories.newestWithSeq(first.id, 10, { afterSeq: '1', upToSeq: '2' });
    expect(addedSince.map((memory) => memory.content)).toEqual(['Keeps bees']);
  });

  it('refuses memories for a user that does not exist, saying so', async ({ repositories: { memories } }) => {
    const nobody = '00000000-0000-4000-8000-000000000000';
    await expect(memories.addMany(nobody, [{ content: 'Lost' }], 'test')).rejects.toThrow(`cannot add memories for user ${nobody}: there is no such user`);
  });

  it("stamps a memory added without a date, and its deletion, with the clock's time", async ({ clock, repositories: { users, memories } }) => {
    const user = await users.getOrCreate('clock-stamps');
    const addedAt = clock.now();
    const { added } = await memories.addMany(user.id, [{ content: 'Moved to Oslo' }], 'test');
    expect(added[0]!.created_at.getTime()).toBe(addedAt);
    await clock.advance(90 * 60 * 1000);
    await memories.softDelete(user.id, [added[0]!.id]);
    const [deleted] = await memories.findByIds(user.id, [added[0]!.id]);
    expect(deleted!.deleted_at?.getTime()).toBe(addedAt + 90 * 60 * 1000);
  });

  it('lists recent memories newest first, page by page', async ({ repositories: { users, memories } }) => {
    const user = await users.getOrCreate('paging-user');
    const inputs = Array.from({ length: 7 }, (_, i) => ({
      content: `memory number ${i}`,
      created_at: new Date(Date.UTC(2024, 0, 1 + i)),
    }));
    await memories.addMany(user.id, inputs, 'test');
    const firstPage = await memories.recent(user.id, { limit: 4 });
    const last = firstPage.at(-1)!;
    const secondPage = await memories.recent(user.id, { limit: 4, before: { createdAt: last.created_at, id: last.id } });
    expect([...firstPage, ...secondPage].map((memory) => memory.content)).toEqual(
      [6, 5, 4, 3, 2, 1, 0].map((i) => `memory number ${i}`),
    );
  });

  it('ranks search results by relevance and matches word forms', async ({ repositories: { users, memories } }) => {
    const user = await users.getOrCreate('search-user');
    await memories.addMany(
      user.id,
      [
        { content: 'Melanie painted a lake sunrise last year' },
        { content: 'Melanie enjoys painting landscapes and painting portraits on weekends' },
        { content: 'Caroline went to a support group' },
      ],
      'test',
    );
    const results = await memories.search(user.id, 'paintings of sunrise', 10);
    expect(results.map((memory) => memory.content)).toEqual([
      'Melanie painted a lake sunrise last year',
      'Melanie enjoys painting landscapes and painting portraits on weekends',
    ]);
    expect(results[0]!.score).toBeGreaterThan(results[1]!.score);
  });

  it('treats search text as words, never as query syntax', async ({ repositories: { users, memories } }) => {
    const user = await users.getOrCreate('hostile-search');
    await memories.addMany(user.id, [{ content: "O'Brien's cat & dog: a | b ! (c)" }], 'test');
    for (const query of ["'; drop table memories; --", '& | ! ( ) :* <->', "O'Brien's", 'the of and', '', '\\']) {
      await expect(memories.search(user.id, query, 5)).resolves.toBeInstanceOf(Array);
    }
    expect(await memories.search(user.id, "O'Brien's cat", 5)).toHaveLength(1);
    expect(await memories.count(user.id)).toBe(1);
  });

  it('updates a memory in place: same id, number and date, a new text the search and de-duplication follow, stamped by the clock', async ({ clock, repositories: { users, memories } }) => {
    const user = await users.getOrCreate('update-in-place');
    const createdAt = new Date('2023-05-08T13:56:00Z');
    const { added } = await memories.addMany(
      user.id,
      [{ content: 'Keeps two hens', created_at: createdAt, metadata: { topic: 'home' } }, { content: 'Rows at dawn' }],
      'test',
    );
    const [before] = await memories.newestWithSeq(user.id, 10, { upToSeq: '1' });
    await clock.advance(60_000);

    const [stored] = await memories.update(user.id, [{ id: added[0]!.id, content: 'Keeps three goats' }]);

    expect(stored).toMatchObject({ id: added[0]!.id, content: 'Keeps three goats', metadata: { topic: 'home' }, deleted_at: null });
    expect(stored!.created_at.toISOString()).toBe(createdAt.toISOString());
    expect(stored!.updated_at?.getTime()).toBe(clock.now());
    const [after] = await memories.newestWithSeq(user.id, 10, { upToSeq: '1' });
    expect(after).toMatchObject({ id: before!.id, seq: before!.seq });
    expect((await memories.search(user.id, 'goats', 5)).map((memory) => memory.id)).toEqual([added[0]!.id]);
    expect(await memories.search(user.id, 'hens', 5)).toEqual([]);
    expect((await memories.addMany(user.id, [{ content: 'keeps three GOATS' }], 'test')).duplicates).toBe(1);
    expect((await memories.addMany(user.id, [{ content: 'Keeps two hens' }], 'test')).added).toHaveLength(1);
    expect((await memories.findByIds(user.id, [added[1]!.id]))[0]!.updated_at).toBeNull();
  });

  it('replaces only the metadata when only metadata is given', async ({ repositories: { users, memories } }) => {
    const user = await users.getOrCreate('update-metadata');
    const { added } = await memories.addMany(user.id, [{ content: 'Plays the oboe', metadata: { a: 1 } }], 'test');
    const [stored] = await memories.update(user.id, [{ id: added[0]!.id, metadata: { b: [2] } }]);
    expect(stored).toMatchObject({ content: 'Plays the oboe', metadata: { b: [2] } });
    expect(stored!.updated_at).not.toBeNull();
  });

  it("updates neither a deleted memory nor another user's", async ({ repositories: { users, memories } }) => {
    const owner = await users.getOrCreate('update-owner');
    const stranger = await users.getOrCreate('update-stranger');
    const { added } = await memories.addMany(owner.id, [{ content: 'Owns a kayak' }, { content: 'Owns a tent' }], 'test');
    await memories.softDelete(owner.id, [added[1]!.id]);
    expect(await memories.update(stranger.id, [{ id: added[0]!.id, content: 'Owns nothing' }])).toEqual([]);
    expect(await memories.update(owner.id, [{ id: added[1]!.id, content: 'Owns two tents' }])).toEqual([]);
    expect((await memories.findByIds(owner.id, added.map((memory) => memory.id))).map((memory) => memory.content).sort()).toEqual([
      'Owns a kayak',
      'Owns a tent',
    ]);
  });

  it("locks the user's own memories for an update, deleted ones too, and tells which live ones hold a text", async ({ repositories }) => {
    const owner = await repositories.users.getOrCreate('lock-owner');
    const stranger = await repositories.users.getOrCreate('lock-stranger');
    const { added } = await repositories.memories.addMany(owner.id, [{ content: 'Bakes rye bread' }, { content: 'Walks to work' }], 'test');
    await repositories.memories.softDelete(owner.id, [added[1]!.id]);
    const locked = await repositories.transaction((trx) => trx.memories.lockForUpdate(owner.id, added.map((memory) => memory.id)));
    expect(locked.map((memory) => memory.content).sort()).toEqual(['Bakes rye bread', 'Walks to work']);
    expect(await repositories.transaction((trx) => trx.memories.lockForUpdate(stranger.id, [added[0]!.id]))).toEqual([]);

    const hashes = ['bakes RYE bread', 'Walks to work', 'Swims'].map(contentHash);
    expect(await repositories.memories.liveWithHashes(owner.id, hashes)).toEqual([{ id: added[0]!.id, content_hash: hashes[0], seq: expect.any(String), expires_at: null }]);
    expect(await repositories.memories.liveWithHashes(stranger.id, hashes)).toEqual([]);
  });

  it("never returns another user's memories", async ({ repositories: { users, memories } }) => {
    const owner = await users.getOrCreate('owner');
    const stranger = await users.getOrCreate('stranger');
    const { added } = await memories.addMany(owner.id, [{ content: 'Secret diary entry about volcanoes' }], 'test');
    expect(await memories.search(stranger.id, 'volcanoes', 10)).toEqual([]);
    expect(await memories.recent(stranger.id, { limit: 10 })).toEqual([]);
    expect(await memories.softDelete(stranger.id, [added[0]!.id])).toEqual([]);
    expect(await memories.count(owner.id)).toBe(1);
  });
});
