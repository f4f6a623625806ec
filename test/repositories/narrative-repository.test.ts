import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect } from 'vitest';
import type { DatabaseHandle } from '../../src/db/open-database.js';
import type { NarrativeWrite } from '../../src/repositories/narrative-repository.js';
import type { RepositorySet } from '../../src/repositories/repository-set.js';
import { databaseTest } from '../support/database-test.js';
import { holdTransaction } from '../support/held-transaction.js';
import { DATABASES } from '../support/test-databases.js';
import { until } from '../support/until.js';

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
    buildKind: 'full',
    tokens: null,
    sourceExpiresAt: null,
    ...overrides,
  };
}

describe.each(DATABASES)('narrative repository on %s', (kind) => {
  const it = databaseTest(kind);

  it('names, as it stores a narrative, the memories it stands on deleted or updated since they were read, whatever the clock says', async ({
    clock,
    repositories: { users, memories, narratives },
  }) => {
    const user = await users.getOrCreate('updated-since-read');
    const { added } = await memories.addMany(
      user.id,
      [{ content: 'Reads sagas' }, { content: 'Knits socks' }, { content: 'Grows chillies' }, { content: 'Sings alto' }],
      'test',
    );
    const ids = added.map((memory) => memory.id);
    const [once] = await memories.update(user.id, [{ id: ids[2]!, content: 'Grows tomatoes' }]);
    const read = new Map([
      [ids[0]!, null],
      [ids[1]!, null],
      [ids[2]!, once!.updated_at],
    ]);
    const builtFrom = (sourceMemoryIds: string[]) => narrative({ sourceMemoryIds, sourceMaxSeq: '4' });
    expect((await narratives.writeFenced(user.id, builtFrom(ids), read)).changed).toEqual({ deleted: [], updated: [] });

    // An update stamped earlier than the read (another process's clock behind) still counts.
    clock.set(clock.now() - 60_000);
    await memories.update(user.id, [{ id: ids[1]!, content: 'Knits scarves' }, { id: ids[2]!, content: 'Grows peppers' }]);
    // A memory the read did not cover (carried from an earlier version) is checked for deletion only.
    await memories.update(user.id, [{ id: ids[3]!, content: 'Sings soprano' }]);
    await memories.softDelete(user.id, [ids[0]!]);
    const { changed } = await narratives.writeFenced(user.id, builtFrom(ids), read);
    expect(changed.deleted).toEqual([ids[0]]);
    expect(changed.updated.sort()).toEqual([ids[1]!, ids[2]!].sort());
    expect((await narratives.writeFenced(user.id, builtFrom([]), read)).changed).toEqual({ deleted: [], updated: [] });
  });

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

  it('records each version as a full build or a revision, keeping the last full build through revisions', async ({ repositories: { users, narratives } }) => {
    const user = await users.getOrCreate('build-kinds');
    const full = await narratives.write(
      user.id,
      narrative({ buildKind: 'full', tokens: { input: 12_000, output: 800 }, generatedAt: new Date('2024-03-01T00:00:00Z') }),
    );
    expect(full).toMatchObject({ build_kind: 'full', input_tokens: 12_000, output_tokens: 800, last_full_build_at: new Date('2024-03-01T00:00:00Z') });

    const revised = await narratives.write(
      user.id,
      narrative({ buildKind: 'incremental', tokens: { input: 2_000, output: 700 }, generatedAt: new Date('2024-03-05T00:00:00Z') }),
    );
    expect(revised).toMatchObject({ build_kind: 'incremental', input_tokens: 2_000, output_tokens: 700, last_full_build_at: new Date('2024-03-01T00:00:00Z') });

    const unreported = await narratives.write(user.id, narrative({ buildKind: 'full', tokens: null, generatedAt: new Date('2024-04-01T00:00:00Z') }));
    expect(unreported).toMatchObject({ build_kind: 'full', input_tokens: null, output_tokens: null, last_full_build_at: new Date('2024-04-01T00:00:00Z') });
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

  it('keeps every reason a narrative was outdated for, once each', async ({ repositories: { users, narratives } }) => {
    const user = await users.getOrCreate('invalidate-twice');
    const write = narrative();
    await narratives.write(user.id, write);
    await narratives.invalidateIfBuiltFrom(user.id, [write.sourceMemoryIds[0]!], 'memory_deleted', new Date());
    await narratives.invalidateIfBuiltFrom(user.id, [write.sourceMemoryIds[1]!], 'memory_updated', new Date());
    await narratives.invalidateIfBuiltFrom(user.id, [write.sourceMemoryIds[2]!], 'memory_updated', new Date());
    expect(await narratives.get(user.id)).toMatchObject({ invalidated_reason: 'memory_deleted,memory_updated' });
  });

  it('keeps the outdated mark of the version a revision revised, which a full build clears', async ({ repositories: { users, narratives } }) => {
    const user = await users.getOrCreate('invalidate-then-revise');
    const write = narrative();
    await narratives.write(user.id, write);
    const at = new Date('2024-03-03T00:00:00Z');
    await narratives.invalidateIfBuiltFrom(user.id, write.sourceMemoryIds, 'memory_updated', at);

    const revised = await narratives.write(user.id, narrative({ content: 'revised', buildKind: 'incremental' }));
    expect(revised).toMatchObject({ version: 2, invalidated_at: at, invalidated_reason: 'memory_updated' });
    const rebuilt = await narratives.write(user.id, narrative({ content: 'rebuilt', buildKind: 'full' }));
    expect(rebuilt).toMatchObject({ version: 3, invalidated_at: null, invalidated_reason: null });
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

/** Adds memories for a user the way every insert path does: stored and noted on the narrative in one transaction. */
async function addAndNote(repositories: RepositorySet, userId: string, contents: readonly string[]): Promise<void> {
  const { added } = await repositories.memories.addMany(userId, contents.map((content) => ({ content })), 'test');
  await repositories.narratives.noteNewMemories(userId, added.length);
}

/** A narrative written from what the user's memories are now, as the generator writes one. */
async function writeFromSnapshot(repositories: RepositorySet, userId: string): Promise<{ seen: number; write: Promise<unknown> }> {
  const stats = await repositories.memories.stats(userId);
  return { seen: stats.count, write: repositories.narratives.write(userId, narrative({ memoryCount: stats.count, sourceMaxSeq: stats.maxSeq })) };
}

describe.each(DATABASES)('memories added since a narrative on %s', (kind) => {
  const it = databaseTest(kind);

  it('counts the live memories added after the snapshot the narrative was built from', async ({ repositories }) => {
    const { id } = await repositories.users.getOrCreate('added-since');
    await addAndNote(repositories, id, ['one', 'two', 'three']);
    const built = await writeFromSnapshot(repositories, id);
    await addAndNote(repositories, id, ['four', 'five']);
    await built.write;
    expect((await repositories.narratives.get(id))?.memories_added_since).toBe(2);
    await addAndNote(repositories, id, ['six', 'one']);
    expect((await repositories.narratives.get(id))?.memories_added_since).toBe(3);
    await (await writeFromSnapshot(repositories, id)).write;
    expect((await repositories.narratives.get(id))?.memories_added_since).toBe(0);
  });
});

/** Sessions of this database waiting for a lock another transaction holds. */
async function lockWaiters(database: DatabaseHandle): Promise<number> {
  const { rows } = await sql<{ waiting: number }>`
    select count(*)::int as waiting from pg_stat_activity
    where datname = current_database() and wait_event_type = 'Lock'`.execute(database.db);
  return rows[0]!.waiting;
}

// PGlite is one session, so its transactions never overlap: only PostgreSQL can interleave them.
describe.each(DATABASES.filter((kind) => kind === 'postgres'))('memories added since a narrative under concurrent inserts on %s', (kind) => {
  const it = databaseTest(kind);

  /** Waits until each of these operations has finished or is waiting for a lock. */
  async function finishedOrWaiting(database: DatabaseHandle, operations: readonly Promise<unknown>[]): Promise<void> {
    const finished = new Set<Promise<unknown>>();
    for (const operation of operations) void operation.then(() => finished.add(operation), () => finished.add(operation));
    await until(async () => (await lockWaiters(database)) === operations.length - finished.size);
  }

  for (const before of ['no narrative yet', 'a narrative to rewrite']) {
    it(`counts a memory committed after the narrative was written from a snapshot that saw a later insert (${before})`, async ({ database, repositories }) => {
      const { id } = await repositories.users.getOrCreate(`concurrent-${before}`);
      await addAndNote(repositories, id, ['one', 'two', 'three', 'four', 'five']);
      if (before === 'a narrative to rewrite') await (await writeFromSnapshot(repositories, id)).write;

      // The first insert does all its work, taking the lower number, and is held open before it commits.
      const first = await holdTransaction(repositories, (trx) => addAndNote(trx, id, ['told first, committed last']));

      const second = repositories.transaction((trx) => addAndNote(trx, id, ['told second']));
      await finishedOrWaiting(database, [second]);
      const built = await writeFromSnapshot(repositories, id);
      await finishedOrWaiting(database, [second, built.write]);
      first.commit();
      await Promise.all([first.committed, second, built.write]);

      const live = await repositories.memories.count(id);
      expect(live).toBe(7);
      expect((await repositories.narratives.get(id))?.memories_added_since).toBe(live - built.seen);
    });
  }
});

/**
 * A fenced store (as the generator's: the fence, then the narrative with its changed memories) held
 * open before it commits until `commit` is called, and a deletion of one memory it stands on.
 */
describe.each(DATABASES.filter((kind) => kind === 'postgres'))('a memory forgotten while a narrative built from it is stored on %s', (kind) => {
  const it = databaseTest(kind);

  async function setUp(repositories: RepositorySet, name: string) {
    const { id } = await repositories.users.getOrCreate(name);
    const { added } = await repositories.memories.addMany(id, [{ content: 'Keeps bees' }, { content: 'Rows at dawn' }], 'test');
    const token = randomUUID();
    const at = new Date('2024-03-02T09:00:00Z');
    expect(await repositories.generationState.takeLease(id, token, { now: at, expiresAt: new Date(at.getTime() + 60_000) })).toBe(true);
    const write = narrative({ sourceMemoryIds: added.map((memory) => memory.id), sourceMaxSeq: '2', generatedAt: at });
    const forget = () =>
      repositories.transaction(async (trx) => {
        const deleted = await trx.memories.softDelete(id, [added[0]!.id]);
        return trx.narratives.invalidateIfBuiltFrom(id, deleted, 'memory_deleted', at);
      });
    return { id, token, at, write, forget, forgotten: added[0]!.id };
  }

  it('outdates it when the deletion comes after the fence: the deletion waits for the store to commit', async ({ database, repositories }) => {
    const { id, token, at, write, forget } = await setUp(repositories, 'forgotten-after-fence');
    const store = await holdTransaction(repositories, async (trx) => {
      expect(await trx.generationState.claimSuccessAndRelease(id, token, at)).toBe(true);
      return (await trx.narratives.writeFenced(id, write, new Map())).changed;
    });
    const forgetting = forget();
    await until(async () => (await lockWaiters(database)) === 1);
    store.commit();
    await store.committed;
    expect(store.value).toEqual({ deleted: [], updated: [] });
    expect(await forgetting).toBe(true);
    expect(await repositories.narratives.get(id)).toMatchObject({ invalidated_reason: 'memory_deleted' });
  });

  it('reports it when the deletion came first: the fence waits for the deletion to commit', async ({ database, repositories }) => {
    const { id, token, at, write, forgotten } = await setUp(repositories, 'forgotten-before-fence');
    const forgetting = await holdTransaction(repositories, (trx) => trx.memories.softDelete(id, [forgotten]));
    const store = repositories.transaction(async (trx) => {
      expect(await trx.generationState.claimSuccessAndRelease(id, token, at)).toBe(true);
      return (await trx.narratives.writeFenced(id, write, new Map())).changed;
    });
    await until(async () => (await lockWaiters(database)) === 1);
    forgetting.commit();
    await forgetting.committed;
    expect(await store).toEqual({ deleted: [forgotten], updated: [] });
  });
});

