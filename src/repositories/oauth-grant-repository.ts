import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '../clock/clock.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../clock/durations.js';
import type { DatabaseSchema, OAuthAuthorizationCodesTable, OAuthPendingAuthorizationsTable } from '../db/database-schema.js';
import { hashApiKey as hashSecret } from './api-key-repository.js';
import type { KeyOwnerCache } from './key-owner-cache.js';

/**
 * Every access token starts with this, and no API key does (`nmcp_…`), so a bearer check knows
 * from the token alone which table to look in.
 */
export const ACCESS_TOKEN_PREFIX = 'nmat_';
const REFRESH_TOKEN_PREFIX = 'nmrt_';
const CODE_PREFIX = 'nmac_';
/** A spent code is kept this long past its expiry, so a code replayed late still revokes what was issued for it. */
const SPENT_CODE_RETENTION_MS = DAY_MS;
/** `last_used_at` of a grant is written at most this often, not on every request. */
const LAST_USED_PRECISION_MS = MINUTE_MS;

/** How long each thing lives, in milliseconds. */
export interface OAuthLifetimes {
  pendingMs: number;
  codeMs: number;
  accessTokenMs: number;
  refreshTokenMs: number;
}

/** A sign-in page may stay open ten minutes; a code lives a minute, an access token an hour, a refresh token 30 days. */
export const OAUTH_LIFETIMES: OAuthLifetimes = {
  pendingMs: 10 * MINUTE_MS,
  codeMs: MINUTE_MS,
  accessTokenMs: HOUR_MS,
  refreshTokenMs: 30 * DAY_MS,
};

export type PendingAuthorization = Selectable<OAuthPendingAuthorizationsTable>;
export type AuthorizationCode = Selectable<OAuthAuthorizationCodesTable>;

/** Who a live access token authenticates, and what it was issued for. */
export interface AccessTokenOwner {
  /** The user. */
  id: string;
  externalId: string;
  grantId: string;
  clientId: string;
  resource: string;
  expiresAt: number;
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  /** Seconds the access token lives. */
  expiresIn: number;
}

export type CodeExchange =
  | { outcome: 'issued'; tokens: IssuedTokens; code: AuthorizationCode }
  | { outcome: 'unknown' | 'expired' | 'redirect_mismatch' | 'resource_mismatch' | 'grant_revoked' }
  /** Presented a second time: every token issued for it is revoked. */
  | { outcome: 'reused' };

export type RefreshExchange =
  | { outcome: 'issued'; tokens: IssuedTokens }
  | { outcome: 'unknown' | 'expired' | 'revoked' | 'resource_mismatch' }
  /** A token already rotated, presented again: its whole family is revoked. */
  | { outcome: 'replayed' };

/** How many of each were purged. */
export interface OAuthPurge {
  pendingAuthorizations: number;
  codes: number;
  accessTokens: number;
  refreshTokens: number;
}

export interface GrantListing {
  id: string;
  clientId: string;
  clientName: string | null;
  redirectUris: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
}

function newSecret(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

/**
 * OAuth grants and what hangs off them: pending authorizations (a sign-in page not yet answered),
 * single-use authorization codes, rotating refresh tokens and short-lived access tokens, all stored
 * as hashes. A grant is one user's consent to one client; revoking it ends all of its tokens.
 */
export class OAuthGrantRepository {
  #owners: KeyOwnerCache<AccessTokenOwner> | undefined;

  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly clock: Clock,
    private readonly lifetimes: OAuthLifetimes = OAUTH_LIFETIMES,
  ) {}

  /** As `ApiKeyRepository.holdOwnersIn`: access token owners are answered from `owners` when held. */
  holdOwnersIn(owners: KeyOwnerCache<AccessTokenOwner>): void {
    this.#owners = owners;
  }

  /** Remembers an authorization request while its user decides; returns the secrets the page carries. */
  async createPending(
    request: Omit<PendingAuthorization, 'id_hash' | 'csrf_hash' | 'expires_at'>,
  ): Promise<{ id: string; csrf: string; expiresAt: Date }> {
    const id = newSecret('');
    const csrf = newSecret('');
    const now = this.clock.now();
    const expiresAt = new Date(now + this.lifetimes.pendingMs);
    await this.db.deleteFrom('oauth_pending_authorizations').where('expires_at', '<=', new Date(now)).execute();
    await this.db
      .insertInto('oauth_pending_authorizations')
      .values({ ...request, id_hash: hashSecret(id), csrf_hash: hashSecret(csrf), expires_at: expiresAt })
      .execute();
    return { id, csrf, expiresAt };
  }

  /** The pending authorization with this id, when it has not expired and `csrf` is the one it was given. */
  async findPending(id: string, csrf: string): Promise<PendingAuthorization | undefined> {
    const row = await this.db
      .selectFrom('oauth_pending_authorizations')
      .selectAll()
      .where('id_hash', '=', hashSecret(id))
      .where('expires_at', '>', new Date(this.clock.now()))
      .executeTakeFirst();
    return row && row.csrf_hash === hashSecret(csrf) ? row : undefined;
  }

  /** Ends a pending authorization; false when it was already answered (or never existed). */
  async takePending(id: string): Promise<boolean> {
    const taken = await this.db.deleteFrom('oauth_pending_authorizations').where('id_hash', '=', hashSecret(id)).executeTakeFirst();
    return taken.numDeletedRows > 0n;
  }

  /**
   * The user approved: their grant to the client (the live one, or a new one) and a single-use
   * code for it. Ends the pending authorization; undefined when it was already answered.
   */
  approve(userId: string, pendingId: string, pending: PendingAuthorization): Promise<{ code: string; grantId: string } | undefined> {
    return this.#transaction(async (db) => {
      const taken = await db.deleteFrom('oauth_pending_authorizations').where('id_hash', '=', hashSecret(pendingId)).executeTakeFirst();
      if (taken.numDeletedRows === 0n) return undefined;
      const now = new Date(this.clock.now());
      const live = await db
        .selectFrom('oauth_grants')
        .select('id')
        .where('user_id', '=', userId)
        .where('client_id', '=', pending.client_id)
        .where('revoked_at', 'is', null)
        .forUpdate()
        .executeTakeFirst();
      const grantId =
        live?.id ??
        (
          await db
            .insertInto('oauth_grants')
            .values({ user_id: userId, client_id: pending.client_id, scopes: pending.scopes, created_at: now })
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id;
      const code = newSecret(CODE_PREFIX);
      await db
        .insertInto('oauth_authorization_codes')
        .values({
          code_hash: hashSecret(code),
          user_id: userId,
          grant_id: grantId,
          client_id: pending.client_id,
          redirect_uri: pending.redirect_uri,
          code_challenge: pending.code_challenge,
          resource: pending.resource,
          family_id: randomUUID(),
          expires_at: new Date(now.getTime() + this.lifetimes.codeMs),
        })
        .execute();
      return { code, grantId };
    });
  }

  /** The code as it was issued (used or not, expired or not), when it was issued to this client. */
  async findCode(code: string, clientId: string): Promise<AuthorizationCode | undefined> {
    return this.db
      .selectFrom('oauth_authorization_codes')
      .selectAll()
      .where('code_hash', '=', hashSecret(code))
      .where('client_id', '=', clientId)
      .executeTakeFirst();
  }

  /**
   * Exchanges a code for the client's first tokens. A code is good once, for its client, within its
   * lifetime, with the redirect URI and resource it was issued for; a code presented again revokes
   * every token issued for it.
   */
  exchangeCode(code: string, request: { clientId: string; redirectUri?: string | undefined; resource?: string | undefined }): Promise<CodeExchange> {
    return this.#transaction(async (db, revoked) => {
      const row = await db
        .selectFrom('oauth_authorization_codes')
        .selectAll()
        .where('code_hash', '=', hashSecret(code))
        .where('client_id', '=', request.clientId)
        .forUpdate()
        .executeTakeFirst();
      if (!row) return { outcome: 'unknown' };
      const now = this.clock.now();
      if (row.used_at !== null) {
        await this.#revokeFamily(db, row.family_id, revoked);
        return { outcome: 'reused' };
      }
      if (row.expires_at.getTime() <= now) return { outcome: 'expired' };
      if (request.redirectUri !== undefined && request.redirectUri !== row.redirect_uri) return { outcome: 'redirect_mismatch' };
      if (request.resource !== undefined && request.resource !== row.resource) return { outcome: 'resource_mismatch' };
      await db.updateTable('oauth_authorization_codes').set({ used_at: new Date(now) }).where('code_hash', '=', row.code_hash).execute();
      const grant = await db.selectFrom('oauth_grants').select('revoked_at').where('id', '=', row.grant_id).executeTakeFirstOrThrow();
      if (grant.revoked_at !== null) return { outcome: 'grant_revoked' };
      const tokens = await this.#issue(db, { userId: row.user_id, grantId: row.grant_id, familyId: row.family_id, resource: row.resource });
      return { outcome: 'issued', tokens, code: row };
    });
  }

  /**
   * Rotates a refresh token: the one presented is spent and a new pair of its family issued. A spent
   * token presented again (a replay: someone else holds a copy) revokes its whole family.
   */
  exchangeRefreshToken(refreshToken: string, request: { clientId: string; resource?: string | undefined }): Promise<RefreshExchange> {
    return this.#transaction(async (db, revoked) => {
      const row = await db
        .selectFrom('oauth_refresh_tokens as t')
        .innerJoin('oauth_grants as g', 'g.id', 't.grant_id')
        .select(['t.token_hash', 't.user_id', 't.grant_id', 't.family_id', 't.resource', 't.expires_at', 't.rotated_at', 't.revoked_at', 'g.revoked_at as grant_revoked_at'])
        .where('t.token_hash', '=', hashSecret(refreshToken))
        .where('g.client_id', '=', request.clientId)
        .forUpdate()
        .executeTakeFirst();
      if (!row) return { outcome: 'unknown' };
      if (row.rotated_at !== null) {
        await this.#revokeFamily(db, row.family_id, revoked);
        return { outcome: 'replayed' };
      }
      if (row.revoked_at !== null || row.grant_revoked_at !== null) return { outcome: 'revoked' };
      const now = this.clock.now();
      if (row.expires_at.getTime() <= now) return { outcome: 'expired' };
      if (request.resource !== undefined && request.resource !== row.resource) return { outcome: 'resource_mismatch' };
      await db.updateTable('oauth_refresh_tokens').set({ rotated_at: new Date(now) }).where('token_hash', '=', row.token_hash).execute();
      const tokens = await this.#issue(db, { userId: row.user_id, grantId: row.grant_id, familyId: row.family_id, resource: row.resource });
      return { outcome: 'issued', tokens };
    });
  }

  /**
   * Revokes a token the client holds (RFC 7009): an access token alone, a refresh token with its
   * whole family. A token that is not the client's, or unknown, is left alone.
   */
  async revokeToken(token: string, clientId: string): Promise<void> {
    const tokenHash = hashSecret(token);
    await this.#transaction(async (db, revoked) => {
      const owned = (table: 'oauth_refresh_tokens' | 'oauth_access_tokens') =>
        db
          .selectFrom(table)
          .innerJoin('oauth_grants', 'oauth_grants.id', `${table}.grant_id`)
          .select([`${table}.family_id as family_id`, `${table}.user_id as user_id`])
          .where(`${table}.token_hash`, '=', tokenHash)
          .where('oauth_grants.client_id', '=', clientId)
          .executeTakeFirst();
      const refresh = await owned('oauth_refresh_tokens');
      if (refresh) {
        await this.#revokeFamily(db, refresh.family_id, revoked);
        return;
      }
      const access = await owned('oauth_access_tokens');
      if (access) {
        await db.updateTable('oauth_access_tokens').set({ revoked_at: new Date(this.clock.now()) }).where('token_hash', '=', tokenHash).execute();
        revoked.add(access.user_id);
      }
    });
  }

  /**
   * The owner of a live access token (neither it nor its grant revoked), expired or not: the caller
   * judges its expiry and resource. Undefined for an unknown or revoked token.
   */
  async findAccessTokenOwner(token: string): Promise<AccessTokenOwner | undefined> {
    const tokenHash = hashSecret(token);
    const held = this.#owners?.get(tokenHash);
    if (held) return held;
    const lookup = this.#owners?.lookupStarted();
    const row = await this.db
      .selectFrom('oauth_access_tokens as t')
      .innerJoin('oauth_grants as g', 'g.id', 't.grant_id')
      .innerJoin('users as u', 'u.id', 't.user_id')
      .select(['t.user_id', 'u.external_id', 't.grant_id', 'g.client_id', 't.resource', 't.expires_at', 'g.last_used_at'])
      .where('t.token_hash', '=', tokenHash)
      .where('t.revoked_at', 'is', null)
      .where('g.revoked_at', 'is', null)
      .executeTakeFirst();
    if (!row) return undefined;
    const now = this.clock.now();
    if (!row.last_used_at || now - row.last_used_at.getTime() > LAST_USED_PRECISION_MS) {
      await this.db.updateTable('oauth_grants').set({ last_used_at: new Date(now) }).where('id', '=', row.grant_id).execute();
    }
    const owner: AccessTokenOwner = {
      id: row.user_id,
      externalId: row.external_id,
      grantId: row.grant_id,
      clientId: row.client_id,
      resource: row.resource,
      expiresAt: row.expires_at.getTime(),
    };
    if (lookup !== undefined) this.#owners?.keep(tokenHash, owner, lookup);
    return owner;
  }

  /** The user's live grants, newest first, with what their clients registered as their name. */
  async listGrants(userId: string): Promise<GrantListing[]> {
    const rows = await this.db
      .selectFrom('oauth_grants as g')
      .innerJoin('oauth_clients as c', 'c.client_id', 'g.client_id')
      .select(['g.id', 'g.client_id', 'c.metadata', 'g.created_at', 'g.last_used_at'])
      .where('g.user_id', '=', userId)
      .where('g.revoked_at', 'is', null)
      .orderBy('g.created_at', 'desc')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      clientId: row.client_id,
      clientName: typeof row.metadata.client_name === 'string' ? row.metadata.client_name : null,
      redirectUris: Array.isArray(row.metadata.redirect_uris) ? row.metadata.redirect_uris.filter((uri): uri is string => typeof uri === 'string') : [],
      createdAt: row.created_at,
      lastUsedAt: row.last_used_at,
    }));
  }

  /** Revokes one of the user's live grants and with it every token issued under it; false when there is none. */
  async revokeGrant(userId: string, grantId: string): Promise<boolean> {
    const revoked = await this.db
      .updateTable('oauth_grants')
      .set({ revoked_at: new Date(this.clock.now()) })
      .where('id', '=', grantId)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    this.#owners?.invalidate(userId);
    return revoked.numUpdatedRows > 0n;
  }

  /**
   * Deletes what can no longer be used: pending authorizations and access tokens past their expiry
   * or revoked, codes a day past theirs, refresh tokens expired or revoked. A rotated refresh token
   * is kept until it expires, since one presented again revokes its family.
   */
  async purgeExpired(): Promise<OAuthPurge> {
    const now = new Date(this.clock.now());
    const count = (result: { numDeletedRows: bigint }) => Number(result.numDeletedRows);
    const pendingAuthorizations = count(await this.db.deleteFrom('oauth_pending_authorizations').where('expires_at', '<=', now).executeTakeFirst());
    const codes = count(
      await this.db
        .deleteFrom('oauth_authorization_codes')
        .where('expires_at', '<=', new Date(now.getTime() - SPENT_CODE_RETENTION_MS))
        .executeTakeFirst(),
    );
    const spentTokens = async (table: 'oauth_access_tokens' | 'oauth_refresh_tokens') =>
      count(
        await this.db
          .deleteFrom(table)
          .where((eb) => eb.or([eb('expires_at', '<=', now), eb('revoked_at', 'is not', null)]))
          .executeTakeFirst(),
      );
    const accessTokens = await spentTokens('oauth_access_tokens');
    const refreshTokens = await spentTokens('oauth_refresh_tokens');
    return { pendingAuthorizations, codes, accessTokens, refreshTokens };
  }

  async #issue(db: Kysely<DatabaseSchema>, token: { userId: string; grantId: string; familyId: string; resource: string }): Promise<IssuedTokens> {
    const now = this.clock.now();
    const accessToken = newSecret(ACCESS_TOKEN_PREFIX);
    const refreshToken = newSecret(REFRESH_TOKEN_PREFIX);
    const common = { user_id: token.userId, grant_id: token.grantId, family_id: token.familyId, resource: token.resource, created_at: new Date(now) };
    await db
      .insertInto('oauth_access_tokens')
      .values({ ...common, token_hash: hashSecret(accessToken), expires_at: new Date(now + this.lifetimes.accessTokenMs) })
      .execute();
    await db
      .insertInto('oauth_refresh_tokens')
      .values({ ...common, token_hash: hashSecret(refreshToken), expires_at: new Date(now + this.lifetimes.refreshTokenMs) })
      .execute();
    return { accessToken, refreshToken, expiresIn: Math.round(this.lifetimes.accessTokenMs / 1000) };
  }

  async #revokeFamily(db: Kysely<DatabaseSchema>, familyId: string, revoked: Set<string>): Promise<void> {
    const now = new Date(this.clock.now());
    for (const table of ['oauth_refresh_tokens', 'oauth_access_tokens'] as const) {
      const rows = await db.updateTable(table).set({ revoked_at: now }).where('family_id', '=', familyId).where('revoked_at', 'is', null).returning('user_id').execute();
      for (const { user_id } of rows) revoked.add(user_id);
    }
  }

  /**
   * Runs `work` in a transaction; the users whose tokens it revoked (into `revoked`) are dropped from
   * the held owners after the commit, so no lookup can hold what the transaction had not yet written.
   */
  async #transaction<T>(work: (db: Kysely<DatabaseSchema>, revoked: Set<string>) => Promise<T>): Promise<T> {
    const revoked = new Set<string>();
    const result = this.db.isTransaction ? await work(this.db, revoked) : await this.db.transaction().execute((trx) => work(trx, revoked));
    for (const userId of revoked) this.#owners?.invalidate(userId);
    return result;
  }
}
