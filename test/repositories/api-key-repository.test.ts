import pino from 'pino';
import { sql } from 'kysely';
import { keepHeldCoherent, type HeldPerUser } from '../../src/app/app.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/open-database.js';
import { ApiKeyRepository, hashApiKey } from '../../src/repositories/api-key-repository.js';
import { KeyOwnerCache } from '../../src/repositories/key-owner-cache.js';
import { UserRepository } from '../../src/repositories/user-repository.js';
import { databaseTest } from '../support/database-test.js';
import { ManualClock } from '../support/manual-clock.js';
import { DATABASES, openTestDatabase } from '../support/test-databases.js';
import { until } from '../support/until.js';
import { TableQueryCounter } from './table-query-counter.js';

describe.each(DATABASES)('api key repository on %s', (kind) => {
  const it = databaseTest(kind);

  it('creates a key that starts with nmcp_ and keeps a short prefix of it for display', async ({ repositories: { users, apiKeys } }) => {
    const user = await users.getOrCreate('key-format');
    const { key, row } = await apiKeys.create(user.id, 'laptop');
    expect(key).toMatch(/^nmcp_[A-Za-z0-9_-]{43}$/);
    expect(row).toMatchObject({ user_id: user.id, name: 'laptop', revoked_at: null, last_used_at: null });
    expect(key.startsWith(row.key_prefix)).toBe(true);
    expect(row.key_prefix.length).toBeLessThan(key.length);
  });

  it('stores the key only as a hash, never in plain text', async ({ database, repositories: { users, apiKeys } }) => {
    const user = await users.getOrCreate('key-storage');
    const { key, row } = await apiKeys.create(user.id);
    const stored = await sql<{ text: string }>`select api_keys::text as text from api_keys where id = ${row.id}`.execute(
      database.db,
    );
    expect(stored.rows).toHaveLength(1);
    expect(stored.rows[0]!.text).not.toContain(key);
    expect(stored.rows[0]!.text).not.toContain(key.slice(-20));
  });

  it('finds the owner of a key', async ({ repositories: { users, apiKeys } }) => {
    const owner = await users.getOrCreate('key-owner');
    await users.getOrCreate('someone-else');
    const { key } = await apiKeys.create(owner.id);
    expect((await apiKeys.findOwnerByKey(key))?.id).toBe(owner.id);
  });

  it('finds no owner for an unknown key', async ({ repositories: { users, apiKeys } }) => {
    const user = await users.getOrCreate('unknown-key');
    const { key } = await apiKeys.create(user.id);
    expect((await apiKeys.findOwnerByKey('nmcp_not-a-real-key'))?.id).toBeUndefined();
    expect((await apiKeys.findOwnerByKey(key.slice(0, -1)))?.id).toBeUndefined();
    expect((await apiKeys.findOwnerByKey(''))?.id).toBeUndefined();
  });

  it('stops accepting a key as soon as it is revoked by id', async ({ repositories: { users, apiKeys } }) => {
    const user = await users.getOrCreate('revoke-by-id');
    const revoked = await apiKeys.create(user.id, 'old');
    const kept = await apiKeys.create(user.id, 'new');
    expect(await apiKeys.revoke(revoked.row.id)).toBe(1);
    expect((await apiKeys.findOwnerByKey(revoked.key))?.id).toBeUndefined();
    expect((await apiKeys.findOwnerByKey(kept.key))?.id).toBe(user.id);
    expect(await apiKeys.revoke(revoked.row.id)).toBe(0);
  });

  it('stops accepting a key as soon as it is revoked by its shown prefix', async ({ repositories: { users, apiKeys } }) => {
    const user = await users.getOrCreate('revoke-by-prefix');
    const { key, row } = await apiKeys.create(user.id);
    expect(await apiKeys.revoke(row.key_prefix)).toBe(1);
    expect((await apiKeys.findOwnerByKey(key))?.id).toBeUndefined();
  });

  it("stamps a key's last use, at most once a minute, and its revocation with the clock's time", async ({ clock, repositories: { users, apiKeys } }) => {
    const user = await users.getOrCreate('clock-stamps');
    const { key, row } = await apiKeys.create(user.id);
    const stamps = async () => (await apiKeys.list(user.id)).map((listed) => [listed.last_used_at?.getTime(), listed.revoked_at?.getTime()]);
    const firstUse = clock.now();
    await apiKeys.findOwnerByKey(key);
    await clock.advance(59_000);
    await apiKeys.findOwnerByKey(key);
    expect(await stamps()).toEqual([[firstUse, undefined]]);
    await clock.advance(2_000);
    await apiKeys.findOwnerByKey(key);
    expect(await stamps()).toEqual([[firstUse + 61_000, undefined]]);
    await clock.advance(1_000);
    await apiKeys.revoke(row.id);
    expect(await stamps()).toEqual([[firstUse + 61_000, firstUse + 62_000]]);
  });

  it('revokes nothing for an unknown id or prefix', async ({ repositories: { users, apiKeys } }) => {
    const user = await users.getOrCreate('revoke-unknown');
    const { key } = await apiKeys.create(user.id);
    expect(await apiKeys.revoke('00000000-0000-0000-0000-000000000000')).toBe(0);
    expect(await apiKeys.revoke('nmcp_zzzzzzzz')).toBe(0);
    expect((await apiKeys.findOwnerByKey(key))?.id).toBe(user.id);
  });

  it("lists one user's keys with their external id, or everyone's", async ({ repositories: { users, apiKeys } }) => {
    const first = await users.getOrCreate('list-first');
    const second = await users.getOrCreate('list-second');
    const a = await apiKeys.create(first.id, 'a');
    const b = await apiKeys.create(first.id, 'b');
    const c = await apiKeys.create(second.id, 'c');
    const firstKeys = await apiKeys.list(first.id);
    expect(firstKeys.map((key) => [key.id, key.name, key.external_id])).toEqual([
      [a.row.id, 'a', 'list-first'],
      [b.row.id, 'b', 'list-first'],
    ]);
    expect((await apiKeys.list(second.id)).map((key) => key.id)).toEqual([c.row.id]);
    expect((await apiKeys.list()).map((key) => key.id)).toEqual(expect.arrayContaining([a.row.id, b.row.id, c.row.id]));
  });
});

describe.each(DATABASES)('api key repository holding key owners on %s', (kind) => {
  let handle: DatabaseHandle;
  let queries: TableQueryCounter;
  let owners: KeyOwnerCache;
  let apiKeys: ApiKeyRepository;
  let users: UserRepository;
  let stopListening: () => Promise<void>;
  const announced: string[] = [];

  beforeAll(async () => {
    handle = await openTestDatabase(kind);
    queries = new TableQueryCounter('api_keys');
    const clock = new ManualClock();
    owners = new KeyOwnerCache({ maxEntries: 100, maxAgeMs: 60_000, clock });
    apiKeys = new ApiKeyRepository(handle.db.withPlugin(queries), clock);
    apiKeys.holdOwnersIn(owners);
    users = new UserRepository(handle.db, clock);
    const announcements: HeldPerUser = { invalidate: (userId) => void announced.push(userId), clear: () => undefined, setLive: () => undefined };
    stopListening = await keepHeldCoherent(handle, [owners, announcements], pino({ level: 'silent' }));
  });
  afterAll(async () => {
    await stopListening();
    await handle.close();
  });

  /** Waits for a change this test makes now; changes committed before it are announced first. */
  async function announcementsSettled(): Promise<void> {
    const marker = await users.getOrCreate(`marker-${announced.length}-${Math.random()}`);
    await apiKeys.create(marker.id);
    await until(() => announced.includes(marker.id));
  }

  it('reads a key from the database once, then answers from memory', async () => {
    const user = await users.getOrCreate('held-owner');
    const { key, row } = await apiKeys.create(user.id);
    await announcementsSettled();
    expect(await apiKeys.findOwnerByKey(key)).toEqual({ id: user.id, externalId: 'held-owner', keyId: row.id });
    const afterFirst = queries.count;
    for (let call = 0; call < 5; call++) expect((await apiKeys.findOwnerByKey(key))?.keyId).toBe(row.id);
    expect(queries.count).toBe(afterFirst);
  });

  it('refuses a held key on the very next lookup after revoking it', async () => {
    const user = await users.getOrCreate('held-then-revoked');
    const { key, row } = await apiKeys.create(user.id);
    await announcementsSettled();
    expect((await apiKeys.findOwnerByKey(key))?.id).toBe(user.id);
    expect(await apiKeys.revoke(row.id)).toBe(1);
    expect(await apiKeys.findOwnerByKey(key)).toBeUndefined();
  });

  it('refuses a held key once the database announces a revocation made outside the repository', async () => {
    const user = await users.getOrCreate('revoked-by-sql');
    const { key, row } = await apiKeys.create(user.id);
    await announcementsSettled();
    expect((await apiKeys.findOwnerByKey(key))?.id).toBe(user.id);
    const held = queries.count;
    expect((await apiKeys.findOwnerByKey(key))?.id).toBe(user.id);
    expect(queries.count).toBe(held);
    const seen = announced.length;
    await sql`update api_keys set revoked_at = now() where id = ${row.id}`.execute(handle.db);
    await until(() => announced.slice(seen).includes(user.id));
    expect(await apiKeys.findOwnerByKey(key)).toBeUndefined();
  });

  it('never holds an unknown key, and accepts a key stored right after it was refused', async () => {
    const user = await users.getOrCreate('stored-after-a-miss');
    await announcementsSettled();
    const size = owners.size;
    const before = queries.count;
    for (let attempt = 0; attempt < 50; attempt++) expect(await apiKeys.findOwnerByKey(`nmcp_random-${attempt}`)).toBeUndefined();
    expect(owners.size).toBe(size);
    expect(queries.count).toBe(before + 50);

    const key = 'nmcp_chosen-before-it-existed';
    expect(await apiKeys.findOwnerByKey(key)).toBeUndefined();
    await sql`insert into api_keys (user_id, key_prefix, key_hash) values (${user.id}, 'nmcp_chosen', ${hashApiKey(key)})`.execute(handle.db);
    expect((await apiKeys.findOwnerByKey(key))?.id).toBe(user.id);
  });

  it('announces nothing when a lookup only records when the key was last used', async () => {
    const user = await users.getOrCreate('last-used-only');
    const { key } = await apiKeys.create(user.id);
    await announcementsSettled();
    owners.clear();
    const seen = announced.length;
    expect((await apiKeys.findOwnerByKey(key))?.id).toBe(user.id);
    const { rows } = await sql<{ used: boolean }>`select last_used_at is not null as used from api_keys where key_hash = ${hashApiKey(key)}`.execute(handle.db);
    expect(rows[0]?.used).toBe(true);
    // Announcements arrive in commit order: had the write of last_used_at been announced, it would be seen first.
    await announcementsSettled();
    expect(announced.slice(seen)).not.toContain(user.id);
  });
});
