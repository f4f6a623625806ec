import { describe, expect, it } from 'vitest';
import type { MemoryRow } from '../../src/db/database-schema.js';
import { EngineMetrics } from '../../src/engine/engine-metrics.js';
import { HotTier } from '../../src/engine/hot-tier.js';
import type { HotUser } from '../../src/engine/hot-user.js';
import { MemoryIndex } from '../../src/search/memory-index.js';
import { ManualClock } from '../support/manual-clock.js';

function hotUser(label: string, bytes = 1_000): HotUser {
  const memory: MemoryRow = {
    id: label,
    user_id: 'u',
    content: label,
    metadata: {},
    source: 'test',
    created_at: new Date(0),
    deleted_at: null,
    updated_at: null,
    expires_at: null,
  };
  return { narrative: null, memories: [memory], memoryCount: 1, index: MemoryIndex.build([memory]), complete: true, bytes };
}

/** A database stand-in whose reads finish only when the test says so, counting them. */
class ControlledReads {
  reads: { userId: string; finish: (user: HotUser) => void }[] = [];

  load = (userId: string): Promise<HotUser> =>
    new Promise((resolve) => {
      this.reads.push({ userId, finish: resolve });
    });

  finishLast(user: HotUser): void {
    this.reads.at(-1)!.finish(user);
  }
}

function tierWith(reads: ControlledReads, options: { maxBytes?: number; maxAgeMs?: number; live?: boolean } = {}) {
  const clock = new ManualClock();
  const metrics = new EngineMetrics();
  const tier = new HotTier({
    load: reads.load,
    maxBytes: options.maxBytes ?? 1_000_000,
    maxAgeMs: options.maxAgeMs ?? 60_000,
    clock,
    metrics,
  });
  tier.setLive(options.live ?? true);
  const counted = async (result: string) => metrics.count(metrics.hotTierRequests, { result });
  return { tier, clock, counted };
}

async function read(tier: HotTier, reads: ControlledReads, userId: string, user: HotUser): Promise<HotUser> {
  const before = reads.reads.length;
  const pending = tier.get(userId);
  if (reads.reads.length > before) reads.finishLast(user);
  return pending;
}

describe('the hot tier', () => {
  it('reads a user once, then answers from memory, counting hits and misses', async () => {
    const reads = new ControlledReads();
    const { tier, counted } = tierWith(reads);
    const first = await read(tier, reads, 'a', hotUser('one'));
    const again = await read(tier, reads, 'a', hotUser('two'));
    expect(again).toBe(first);
    expect(reads.reads).toHaveLength(1);
    expect(await counted('hit')).toBe(1);
    expect(await counted('miss')).toBe(1);
  });

  it('joins concurrent reads of one user into one database read', async () => {
    const reads = new ControlledReads();
    const { tier } = tierWith(reads);
    const pending = Array.from({ length: 20 }, () => tier.get('a'));
    expect(reads.reads).toHaveLength(1);
    reads.finishLast(hotUser('one'));
    const users = await Promise.all(pending);
    expect(new Set(users).size).toBe(1);
  });

  it('reads a user again after it changed', async () => {
    const reads = new ControlledReads();
    const { tier } = tierWith(reads);
    await read(tier, reads, 'a', hotUser('old'));
    tier.invalidate('a');
    const fresh = await read(tier, reads, 'a', hotUser('new'));
    expect(fresh.memories[0]!.content).toBe('new');
    expect(reads.reads).toHaveLength(2);
  });

  it('serves a read that overlapped a change once, but keeps nothing of it', async () => {
    const reads = new ControlledReads();
    const { tier } = tierWith(reads);
    const overlapping = tier.get('a');
    tier.invalidate('a');
    // A request arriving after the change does not join the read that began before it.
    const after = tier.get('a');
    expect(reads.reads).toHaveLength(2);
    reads.reads[0]!.finish(hotUser('old'));
    reads.reads[1]!.finish(hotUser('new'));
    expect((await overlapping).memories[0]!.content).toBe('old');
    expect((await after).memories[0]!.content).toBe('new');
    const next = await read(tier, reads, 'a', hotUser('unexpected'));
    expect(next.memories[0]!.content).toBe('new');
    expect(reads.reads).toHaveLength(2);
  });

  it('keeps nothing of a read that overlapped a reset of the whole tier', async () => {
    const reads = new ControlledReads();
    const { tier } = tierWith(reads);
    const overlapping = tier.get('a');
    tier.clear();
    reads.finishLast(hotUser('old'));
    await overlapping;
    await read(tier, reads, 'a', hotUser('new'));
    expect(reads.reads).toHaveLength(2);
  });

  it('keeps nothing while changes are not known to reach it', async () => {
    const reads = new ControlledReads();
    const { tier } = tierWith(reads, { live: false });
    await read(tier, reads, 'a', hotUser('one'));
    await read(tier, reads, 'a', hotUser('two'));
    expect(reads.reads).toHaveLength(2);
    tier.setLive(true);
    await read(tier, reads, 'a', hotUser('three'));
    tier.setLive(false);
    await read(tier, reads, 'a', hotUser('four'));
    expect(reads.reads).toHaveLength(4);
  });

  it('reads a user again once the entry is older than the maximum age', async () => {
    const reads = new ControlledReads();
    const { tier, clock } = tierWith(reads, { maxAgeMs: 60_000 });
    await read(tier, reads, 'a', hotUser('one'));
    await clock.advance(59_999);
    await read(tier, reads, 'a', hotUser('two'));
    expect(reads.reads).toHaveLength(1);
    await clock.advance(1);
    expect((await read(tier, reads, 'a', hotUser('two'))).memories[0]!.content).toBe('two');
    expect(reads.reads).toHaveLength(2);
  });

  it('lets the least recently used users go when over its memory budget', async () => {
    const reads = new ControlledReads();
    const { tier } = tierWith(reads, { maxBytes: 10_000 });
    for (const userId of ['a', 'b', 'c', 'd']) await read(tier, reads, userId, hotUser(userId, 2_500));
    await read(tier, reads, 'a', hotUser('a', 2_500));
    await read(tier, reads, 'e', hotUser('e', 2_500));
    expect(tier.size).toEqual({ users: 4, bytes: 10_000 });
    const readsBefore = reads.reads.length;
    await read(tier, reads, 'a', hotUser('a', 2_500));
    expect(reads.reads).toHaveLength(readsBefore);
    await read(tier, reads, 'b', hotUser('b', 2_500));
    expect(reads.reads).toHaveLength(readsBefore + 1);
  });

  it('lets users nobody asked for within the maximum age go, since it could not serve them', async () => {
    const reads = new ControlledReads();
    const { tier, clock } = tierWith(reads, { maxAgeMs: 60_000 });
    await read(tier, reads, 'once', hotUser('once'));
    await read(tier, reads, 'regular', hotUser('regular'));
    await clock.advance(30_000);
    await read(tier, reads, 'regular', hotUser('regular'));
    await clock.advance(30_000);
    await read(tier, reads, 'newcomer', hotUser('newcomer'));
    // The regular user and the newcomer stay; the one asked for a minute ago left.
    expect(tier.size).toEqual({ users: 2, bytes: 2_000 });
  });

  it("hands a changed user's last read to its next read, and serves only the new one", async () => {
    const reads = new ControlledReads();
    const { tier } = tierWith(reads);
    const old = await read(tier, reads, 'a', hotUser('old'));
    tier.invalidate('a');
    expect(tier.size.users).toBe(1);
    const followed: HotUser[] = [];
    const fresh = { ...hotUser('new'), follow: (previous: HotUser) => void followed.push(previous) };
    expect(await read(tier, reads, 'a', fresh)).toBe(fresh);
    expect(followed).toEqual([old]);
    expect(tier.size).toEqual({ users: 1, bytes: 1_000 });
    expect(await read(tier, reads, 'a', hotUser('unexpected'))).toBe(fresh);
  });

  it('lets a changed user go within seconds when nobody asks for it again', async () => {
    const reads = new ControlledReads();
    const { tier, clock } = tierWith(reads, { maxAgeMs: 60_000 });
    await read(tier, reads, 'newcomer', hotUser('newcomer'));
    await read(tier, reads, 'regular', hotUser('regular'));
    tier.invalidate('newcomer');
    await clock.advance(10_000);
    tier.invalidate('regular');
    expect(tier.size).toEqual({ users: 1, bytes: 1_000 });
    const followed: HotUser[] = [];
    await read(tier, reads, 'regular', { ...hotUser('regular again'), follow: (previous: HotUser) => void followed.push(previous) });
    expect(followed.map((user) => user.memories[0]!.content)).toEqual(['regular']);
  });

  it('forgets changed users too when it is reset', async () => {
    const reads = new ControlledReads();
    const { tier } = tierWith(reads);
    await read(tier, reads, 'a', hotUser('old'));
    tier.invalidate('a');
    tier.clear();
    expect(tier.size).toEqual({ users: 0, bytes: 0 });
    const followed: HotUser[] = [];
    await read(tier, reads, 'a', { ...hotUser('new'), follow: (previous: HotUser) => void followed.push(previous) });
    expect(followed).toEqual([]);
  });

  it('never holds a user larger than a quarter of its budget, nor anything when the budget is 0', async () => {
    const reads = new ControlledReads();
    const { tier } = tierWith(reads, { maxBytes: 10_000 });
    await read(tier, reads, 'big', hotUser('big', 2_501));
    expect(tier.size.users).toBe(0);
    const off = tierWith(reads, { maxBytes: 0 });
    await read(off.tier, reads, 'small', hotUser('small', 1));
    expect(off.tier.size.users).toBe(0);
  });
});
