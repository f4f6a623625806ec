import { beforeEach, describe, expect, it } from 'vitest';
import type { ApiKeyOwner } from '../../src/repositories/api-key-owner.js';
import { KeyOwnerCache } from '../../src/repositories/key-owner-cache.js';
import { ManualClock } from '../support/manual-clock.js';

const owner = (user: string, key: string): ApiKeyOwner => ({ id: user, externalId: `external-${user}`, keyId: key });

describe('the key owner cache', () => {
  let clock: ManualClock;
  let cache: KeyOwnerCache;

  const keep = (keyHash: string, held: ApiKeyOwner) => cache.keep(keyHash, held, cache.lookupStarted());

  beforeEach(() => {
    clock = new ManualClock();
    cache = new KeyOwnerCache({ maxEntries: 3, maxAgeMs: 60_000, clock });
    cache.setLive(true);
  });

  it('serves a kept owner until it is as old as the maximum age', async () => {
    keep('hash-a', owner('alice', 'key-a'));
    await clock.advance(59_999);
    expect(cache.get('hash-a')).toEqual(owner('alice', 'key-a'));
    await clock.advance(1);
    expect(cache.get('hash-a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('holds at most its number of entries, the least recently used leaving first', () => {
    keep('hash-a', owner('alice', 'key-a'));
    keep('hash-b', owner('bob', 'key-b'));
    keep('hash-c', owner('carol', 'key-c'));
    expect(cache.get('hash-a')).toBeDefined();
    keep('hash-d', owner('dan', 'key-d'));
    keep('hash-e', owner('eve', 'key-e'));
    expect(cache.size).toBe(3);
    expect(cache.get('hash-b')).toBeUndefined();
    expect(cache.get('hash-c')).toBeUndefined();
    expect(['hash-a', 'hash-d', 'hash-e'].map((hash) => cache.get(hash)?.keyId)).toEqual(['key-a', 'key-d', 'key-e']);
  });

  it('forgets every key of a changed user and only theirs', () => {
    keep('hash-a1', owner('alice', 'key-a1'));
    keep('hash-a2', owner('alice', 'key-a2'));
    keep('hash-b', owner('bob', 'key-b'));
    cache.invalidate('alice');
    expect(cache.get('hash-a1')).toBeUndefined();
    expect(cache.get('hash-a2')).toBeUndefined();
    expect(cache.get('hash-b')?.keyId).toBe('key-b');
  });

  it('does not keep what a lookup read while a change was committed', () => {
    const lookup = cache.lookupStarted();
    cache.invalidate('alice');
    cache.keep('hash-a', owner('alice', 'key-a'), lookup);
    expect(cache.get('hash-a')).toBeUndefined();

    const beforeClear = cache.lookupStarted();
    cache.clear();
    cache.keep('hash-a', owner('alice', 'key-a'), beforeClear);
    expect(cache.get('hash-a')).toBeUndefined();
  });

  it('keeps nothing while changes are not known to reach it, and empties when they stop', () => {
    keep('hash-a', owner('alice', 'key-a'));
    cache.setLive(false);
    expect(cache.get('hash-a')).toBeUndefined();
    keep('hash-b', owner('bob', 'key-b'));
    expect(cache.size).toBe(0);
  });
});
