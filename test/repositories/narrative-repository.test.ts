import { randomUUID } from 'node:crypto';
import { describe, expect } from 'vitest';
import type { NarrativeWrite } from '../../src/repositories/narrative-repository.js';
import { databaseTest } from '../support/database-test.js';
import { DATABASES } from '../support/test-databases.js';

function narrative(overrides: Partial<NarrativeWrite> = {}): NarrativeWrite {
  return {
    content: 'Caroline is a counsellor who paints on weekends.',
    provider: 'gemini',
    model: 'gemini-2.5-pro',
    memoryCount: 3,
    newestMemoryAt: new Date('2024-03-01T10:00:00Z'),
    sourceMemoryIds: [randomUUID(), randomUUID(), randomUUID()],
    generationMs: 1234,
    generatedAt: new Date('2024-03-02T09:00:00Z'),
    sourceMaxSeq: '0',
    ...overrides,
  };
}

describe.each(DATABASES)('narrative repository on %s', (kind) => {
  const it = databaseTest(kind);

  it('returns nothing for a user who has no narrative yet', async ({ repositories: { users, narratives } }) => {
    const user = await users.getOrCreate('no-narrative');
    expect(await narratives.get(user.id)).toBeUndefined();
  });

  it('stores the first narrative as version 1 with everything it was given', async ({ repositories: { users, narratives } }) => {
    const user = await users.getOrCreate('first-write');
    const write = narrative();
    const row = await narratives.write(user.id, write);
    expect(row).toMatchObject({
      user_id: user.id,
      narrative_content: write.content,
      version: 1,
      provider: 'gemini',
      model: 'gemini-2.5-pro',
      memory_count: 3,
      source_memory_ids: write.sourceMemoryIds,
      generation_ms: 1234,
      invalidated_at: null,
      invalidated_reason: null,
    });
    expect(row.newest_memory_at?.toISOString()).toBe('2024-03-01T10:00:00.000Z');
    expect(row.generated_at.toISOString()).toBe('2024-03-02T09:00:00.000Z');
    expect(await narratives.get(user.id)).toEqual(row);
  });

  it('replaces the content of each later write and raises the version by exactly one', async ({ repositories: { users, narratives } }) => {
    const user = await users.getOrCreate('rewrites');
    await narratives.write(user.id, narrative({ content: 'first draft' }));
    await narratives.write(user.id, narrative({ content: 'second draft' }));
    const latest = narrative({
      content: 'third draft',
      provider: 'fake',
      model: 'fake-model',
      memoryCount: 9,
      newestMemoryAt: null,
      sourceMemoryIds: [randomUUID()],
      generationMs: 42.6,
      generatedAt: new Date('2024-04-01T00:00:00Z'),
    });
    const row = await narratives.write(user.id, latest);
    expect(row).toMatchObject({
      narrative_content: 'third draft',
      version: 3,
      provider: 'fake',
      model: 'fake-model',
      memory_count: 9,
      newest_memory_at: null,
      source_memory_ids: latest.sourceMemoryIds,
      generation_ms: 43,
    });
    expect(row.generated_at.toISOString()).toBe('2024-04-01T00:00:00.000Z');
    expect(row.updated_at.toISOString()).toBe('2024-04-01T00:00:00.000Z');
    expect(await narratives.get(user.id)).toEqual(row);
  });

  it('gives twenty concurrent writes the versions 1 to 20, each exactly once', async ({ repositories: { users, narratives } }) => {
    const user = await users.getOrCreate('concurrent-writes');
    const rows = await Promise.all(
      Array.from({ length: 20 }, (_, i) => narratives.write(user.id, narrative({ content: `draft ${i}` }))),
    );
    expect(rows.map((row) => row.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const stored = await narratives.get(user.id);
    expect(stored?.version).toBe(20);
    expect(stored?.narrative_content).toBe(rows.find((row) => row.version === 20)?.narrative_content);
  });

  it('marks the narrative outdated when it was built from one of the given memories', async ({ repositories: { users, narratives } }) => {
    const user = await users.getOrCreate('invalidate-overlap');
    const write = narrative();
    await narratives.write(user.id, write);
    const at = new Date('2024-05-01T12:00:00Z');
    const invalidated = await narratives.invalidateIfBuiltFrom(
      user.id,
      [randomUUID(), write.sourceMemoryIds[1]!],
      'a source memory was forgotten',
      at,
    );
    expect(invalidated).toBe(true);
    const row = await narratives.get(user.id);
    expect(row?.invalidated_at?.toISOString()).toBe(at.toISOString());
    expect(row?.invalidated_reason).toBe('a source memory was forgotten');
  });

  it('leaves the narrative alone when none of the given memories went into it', async ({ repositories: { users, narratives } }) => {
    const user = await users.getOrCreate('invalidate-disjoint');
    await narratives.write(user.id, narrative());
    expect(await narratives.invalidateIfBuiltFrom(user.id, [randomUUID(), randomUUID()], 'unrelated', new Date())).toBe(
      false,
    );
    expect(await narratives.invalidateIfBuiltFrom(user.id, [], 'nothing', new Date())).toBe(false);
    expect(await narratives.get(user.id)).toMatchObject({ invalidated_at: null, invalidated_reason: null });
  });

  it('reports nothing to invalidate for a user without a narrative', async ({ repositories: { users, narratives } }) => {
    const user = await users.getOrCreate('invalidate-nothing');
    expect(await narratives.invalidateIfBuiltFrom(user.id, [randomUUID()], 'forgotten', new Date())).toBe(false);
  });

  it('clears the outdated mark when a new narrative is written', async ({ repositories: { users, narratives } }) => {
    const user = await users.getOrCreate('invalidate-then-rewrite');
    const write = narrative();
    await narratives.write(user.id, write);
    await narratives.invalidateIfBuiltFrom(user.id, write.sourceMemoryIds, 'forgotten', new Date());
    const row = await narratives.write(user.id, narrative({ content: 'fresh' }));
    expect(row).toMatchObject({ version: 2, narrative_content: 'fresh', invalidated_at: null, invalidated_reason: null });
    expect(await narratives.get(user.id)).toMatchObject({ invalidated_at: null, invalidated_reason: null });
  });

  it("never touches another user's narrative", async ({ repositories: { users, narratives } }) => {
    const alice = await users.getOrCreate('isolation-alice');
    const bob = await users.getOrCreate('isolation-bob');
    const bobsWrite = narrative({ content: "Bob's story" });
    const bobsRow = await narratives.write(bob.id, bobsWrite);
    await narratives.write(alice.id, narrative({ content: "Alice's first story" }));
    await narratives.write(alice.id, narrative({ content: "Alice's second story" }));
    expect(await narratives.invalidateIfBuiltFrom(alice.id, bobsWrite.sourceMemoryIds, 'forgotten', new Date())).toBe(
      false,
    );
    expect(await narratives.get(alice.id)).toMatchObject({ narrative_content: "Alice's second story", version: 2 });
    expect(await narratives.get(bob.id)).toEqual(bobsRow);
  });
});
