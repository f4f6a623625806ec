import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/open-database.js';
import { ApiKeyRepository } from '../../src/repositories/api-key-repository.js';
import { UserRepository } from '../../src/repositories/user-repository.js';
import { DATABASES, openTestDatabase } from '../support/test-databases.js';

describe.each(DATABASES)('api key repository on %s', (kind) => {
  let handle: DatabaseHandle;
  let apiKeys: ApiKeyRepository;
  let users: UserRepository;

  beforeAll(async () => {
    handle = await openTestDatabase(kind);
    apiKeys = new ApiKeyRepository(handle.db);
    users = new UserRepository(handle.db);
  });
  afterAll(() => handle.close());

  it('creates a key that starts with nmcp_ and keeps a short prefix of it for display', async () => {
    const user = await users.getOrCreate('key-format');
    const { key, row } = await apiKeys.create(user.id, 'laptop');
    expect(key).toMatch(/^nmcp_[A-Za-z0-9_-]{43}$/);
    expect(row).toMatchObject({ user_id: user.id, name: 'laptop', revoked_at: null, last_used_at: null });
    expect(key.startsWith(row.key_prefix)).toBe(true);
    expect(row.key_prefix.length).toBeLessThan(key.length);
  });

  it('stores the key only as a hash, never in plain text', async () => {
    const user = await users.getOrCreate('key-storage');
    const { key, row } = await apiKeys.create(user.id);
    const stored = await sql<{ text: string }>`select api_keys::text as text from api_keys where id = ${row.id}`.execute(
      handle.db,
    );
    expect(stored.rows).toHaveLength(1);
    expect(stored.rows[0]!.text).not.toContain(key);
    expect(stored.rows[0]!.text).not.toContain(key.slice(-20));
  });

  it('finds the owner of a key', async () => {
    const owner = await users.getOrCreate('key-owner');
    await users.getOrCreate('someone-else');
    const { key } = await apiKeys.create(owner.id);
    expect((await apiKeys.findOwnerByKey(key))?.id).toBe(owner.id);
  });

  it('finds no owner for an unknown key', async () => {
    const user = await users.getOrCreate('unknown-key');
    const { key } = await apiKeys.create(user.id);
    expect((await apiKeys.findOwnerByKey('nmcp_not-a-real-key'))?.id).toBeUndefined();
    expect((await apiKeys.findOwnerByKey(key.slice(0, -1)))?.id).toBeUndefined();
    expect((await apiKeys.findOwnerByKey(''))?.id).toBeUndefined();
  });

  it('stops accepting a key as soon as it is revoked by id', async () => {
    const user = await users.getOrCreate('revoke-by-id');
    const revoked = await apiKeys.create(user.id, 'old');
    const kept = await apiKeys.create(user.id, 'new');
    expect(await apiKeys.revoke(revoked.row.id)).toBe(1);
    expect((await apiKeys.findOwnerByKey(revoked.key))?.id).toBeUndefined();
    expect((await apiKeys.findOwnerByKey(kept.key))?.id).toBe(user.id);
    expect(await apiKeys.revoke(revoked.row.id)).toBe(0);
  });

  it('stops accepting a key as soon as it is revoked by its shown prefix', async () => {
    const user = await users.getOrCreate('revoke-by-prefix');
    const { key, row } = await apiKeys.create(user.id);
    expect(await apiKeys.revoke(row.key_prefix)).toBe(1);
    expect((await apiKeys.findOwnerByKey(key))?.id).toBeUndefined();
  });

  it('revokes nothing for an unknown id or prefix', async () => {
    const user = await users.getOrCreate('revoke-unknown');
    const { key } = await apiKeys.create(user.id);
    expect(await apiKeys.revoke('00000000-0000-0000-0000-000000000000')).toBe(0);
    expect(await apiKeys.revoke('nmcp_zzzzzzzz')).toBe(0);
    expect((await apiKeys.findOwnerByKey(key))?.id).toBe(user.id);
  });

  it("lists one user's keys with their external id, or everyone's", async () => {
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
