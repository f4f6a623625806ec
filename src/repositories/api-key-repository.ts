import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock/clock.js';
import { MINUTE_MS } from '../clock/durations.js';
import type { ApiKeyRow, DatabaseSchema } from '../db/database-schema.js';
import type { ApiKeyOwner } from './api-key-owner.js';
import type { KeyOwnerCache } from './key-owner-cache.js';

/** Every API key starts with this, so a bearer check tells keys from OAuth access tokens by the token alone. */
export const API_KEY_PREFIX = 'nmcp_';
const SHOWN_PREFIX_LENGTH = API_KEY_PREFIX.length + 8;
/** `last_used_at` is written at most this often per key, not on every request. */
const LAST_USED_PRECISION_MS = MINUTE_MS;

export interface CreatedApiKey {
  /** The secret itself: shown once at creation, stored only as a hash. */
  key: string;
  row: ApiKeyRow;
}

export interface ApiKeyListing extends ApiKeyRow {
  external_id: string;
}

/** Keys are 256 random bits, so a plain SHA-256 is a safe, fast, index-friendly digest. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export class ApiKeyRepository {
  #owners: KeyOwnerCache | undefined;

  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly clock: Clock,
  ) {}

  /**
   * From now on `findOwnerByKey` answers from `owners` when it can, and `revoke` empties it of the
   * revoked keys' users before returning. A serving process does this once, at start.
   */
  holdOwnersIn(owners: KeyOwnerCache): void {
    this.#owners = owners;
  }

  async create(userId: string, name?: string): Promise<CreatedApiKey> {
    const key = API_KEY_PREFIX + randomBytes(32).toString('base64url');
    const row = await this.db
      .insertInto('api_keys')
      .values({
        user_id: userId,
        name: name ?? null,
        key_prefix: key.slice(0, SHOWN_PREFIX_LENGTH),
        key_hash: hashApiKey(key),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { key, row };
  }

  async hasAny(): Promise<boolean> {
    return (await this.db.selectFrom('api_keys').select('id').limit(1).executeTakeFirst()) !== undefined;
  }

  list(userId?: string): Promise<ApiKeyListing[]> {
    let query = this.db
      .selectFrom('api_keys')
      .innerJoin('users', 'users.id', 'api_keys.user_id')
      .selectAll('api_keys')
      .select('users.external_id')
      .orderBy('api_keys.created_at');
    if (userId !== undefined) query = query.where('api_keys.user_id', '=', userId);
    return query.execute();
  }

  /** Revokes the live keys with this id or shown prefix; returns how many were revoked. */
  async revoke(idOrPrefix: string): Promise<number> {
    const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrPrefix);
    const revoked = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: new Date(this.clock.now()) })
      .where(isUuid ? 'id' : 'key_prefix', '=', idOrPrefix)
      .where('revoked_at', 'is', null)
      .returning('user_id')
      .execute();
    for (const { user_id } of revoked) this.#owners?.invalidate(user_id);
    return revoked.length;
  }

  /**
   * The owner of a live key with the key's id, or undefined for an unknown or revoked key. The key
   * is found by its hash alone, then its user by id: two statements that each stay on one shard
   * when users are distributed by id and keys by hash (see docs/scaling.md); a serving process
   * makes them once per key, then answers from `owners`.
   */
  async findOwnerByKey(key: string): Promise<ApiKeyOwner | undefined> {
    const keyHash = hashApiKey(key);
    const held = this.#owners?.get(keyHash);
    if (held) return held;
    const lookup = this.#owners?.lookupStarted();
    const found = await this.db
      .selectFrom('api_keys')
      .select(['user_id', 'id', 'last_used_at'])
      .where('key_hash', '=', keyHash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (!found) return undefined;
    const user = await this.db.selectFrom('users').select('external_id').where('id', '=', found.user_id).executeTakeFirst();
    if (!user) return undefined;
    const now = this.clock.now();
    if (!found.last_used_at || now - found.last_used_at.getTime() > LAST_USED_PRECISION_MS) {
      await this.db.updateTable('api_keys').set({ last_used_at: new Date(now) }).where('key_hash', '=', keyHash).execute();
    }
    const owner = { id: found.user_id, externalId: user.external_id, keyId: found.id };
    if (lookup !== undefined) this.#owners?.keep(keyHash, owner, lookup);
    return owner;
  }
}
