import pino from 'pino';
import { sql } from 'kysely';
import { keepHeldCoherent, type HeldPerUser } from '../../src/app/app.js';
import { afterAll, beforeAll, describe, expect, it as plainIt } from 'vitest';
import type { DatabaseHandle } from '../../src/db/open-database.js';
import { KeyOwnerCache } from '../../src/repositories/key-owner-cache.js';
import { ACCESS_TOKEN_PREFIX, OAuthGrantRepository, type AccessTokenOwner } from '../../src/repositories/oauth-grant-repository.js';
import type { RepositorySet } from '../../src/repositories/repository-set.js';
import { UserRepository } from '../../src/repositories/user-repository.js';
import { OAuthClientRepository } from '../../src/repositories/oauth-client-repository.js';
import { databaseTest } from '../support/database-test.js';
import { ManualClock } from '../support/manual-clock.js';
import { DATABASES, openTestDatabase } from '../support/test-databases.js';
import { until } from '../support/until.js';

const RESOURCE = 'https://narrative.example/mcp';

/** A registered client, a user, and a code the user approved for the client. */
async function approvedCode(repositories: RepositorySet, name: string) {
  const user = await repositories.users.getOrCreate(`user-${name}`);
  const client = await repositories.oauthClients.register({
    clientId: `client-${name}-${Math.random()}`,
    secretHash: null,
    metadata: { client_name: `Client ${name}`, redirect_uris: ['https://client.example/callback'] },
  });
  const pending = await repositories.oauthGrants.createPending({
    client_id: client.clientId,
    redirect_uri: 'https://client.example/callback',
    code_challenge: 'challenge',
    state: 'state-1',
    resource: RESOURCE,
    scopes: [],
  });
  const row = (await repositories.oauthGrants.findPending(pending.id, pending.csrf))!;
  const approved = (await repositories.oauthGrants.approve(user.id, pending.id, row))!;
  return { user, client, pending, ...approved };
}

describe.each(DATABASES)('oauth grant repository on %s', (kind) => {
  const it = databaseTest(kind);

  it('keeps a pending authorization only for the csrf token it was given, and answers it once', async ({ repositories }) => {
    const { pending, user } = await approvedCode(repositories, 'pending');
    expect(await repositories.oauthGrants.findPending(pending.id, pending.csrf)).toBeUndefined();
    const again = await repositories.oauthGrants.createPending({
      client_id: (await repositories.oauthGrants.listGrants(user.id))[0]!.clientId,
      redirect_uri: 'https://client.example/callback',
      code_challenge: 'c',
      state: null,
      resource: RESOURCE,
      scopes: [],
    });
    expect(await repositories.oauthGrants.findPending(again.id, 'another-csrf')).toBeUndefined();
    const row = await repositories.oauthGrants.findPending(again.id, again.csrf);
    expect(row).toMatchObject({ redirect_uri: 'https://client.example/callback', resource: RESOURCE });
    expect(await repositories.oauthGrants.approve(user.id, again.id, row!)).toBeDefined();
    expect(await repositories.oauthGrants.approve(user.id, again.id, row!)).toBeUndefined();
  });

  it('forgets a pending authorization after ten minutes', async ({ repositories, clock }) => {
    const client = await repositories.oauthClients.register({ clientId: 'client-slow', secretHash: null, metadata: {} });
    const pending = await repositories.oauthGrants.createPending({
      client_id: client.clientId, redirect_uri: 'https://c.example/cb', code_challenge: 'c', state: null, resource: RESOURCE, scopes: [],
    });
    await clock.advance(10 * 60_000);
    expect(await repositories.oauthGrants.findPending(pending.id, pending.csrf)).toBeUndefined();
  });

  it('keeps one live grant per user and client however often the user approves', async ({ repositories }) => {
    const first = await approvedCode(repositories, 'one-grant');
    const pending = await repositories.oauthGrants.createPending({
      client_id: first.client.clientId, redirect_uri: 'https://client.example/callback', code_challenge: 'c', state: null, resource: RESOURCE, scopes: [],
    });
    const second = await repositories.oauthGrants.approve(first.user.id, pending.id, (await repositories.oauthGrants.findPending(pending.id, pending.csrf))!);
    expect(second?.grantId).toBe(first.grantId);
    expect(await repositories.oauthGrants.listGrants(first.user.id)).toEqual([
      expect.objectContaining({ id: first.grantId, clientName: 'Client one-grant', redirectUris: ['https://client.example/callback'], lastUsedAt: null }),
    ]);
  });

  it('exchanges a code once, for its client, redirect URI and resource, then revokes what it issued when it comes back', async ({ repositories }) => {
    const { code, client, user } = await approvedCode(repositories, 'code-once');
    const grants = repositories.oauthGrants;
    expect(await grants.exchangeCode(code, { clientId: 'another-client' })).toEqual({ outcome: 'unknown' });
    expect(await grants.exchangeCode(code, { clientId: client.clientId, redirectUri: 'https://client.example/other' })).toEqual({ outcome: 'redirect_mismatch' });
    expect(await grants.exchangeCode(code, { clientId: client.clientId, resource: 'https://elsewhere.example/mcp' })).toEqual({ outcome: 'resource_mismatch' });
    const issued = await grants.exchangeCode(code, { clientId: client.clientId, redirectUri: 'https://client.example/callback', resource: RESOURCE });
    if (issued.outcome !== 'issued') throw new Error(issued.outcome);
    expect(issued.tokens.accessToken.startsWith(ACCESS_TOKEN_PREFIX)).toBe(true);
    expect(issued.tokens.expiresIn).toBe(3600);
    expect(await grants.findAccessTokenOwner(issued.tokens.accessToken)).toMatchObject({ id: user.id, clientId: client.clientId, resource: RESOURCE });

    expect(await grants.exchangeCode(code, { clientId: client.clientId })).toEqual({ outcome: 'reused' });
    expect(await grants.findAccessTokenOwner(issued.tokens.accessToken)).toBeUndefined();
    expect(await grants.exchangeRefreshToken(issued.tokens.refreshToken, { clientId: client.clientId })).toEqual({ outcome: 'revoked' });
  });

  it('lets a code expire after a minute', async ({ repositories, clock }) => {
    const { code, client } = await approvedCode(repositories, 'code-expiry');
    await clock.advance(60_000);
    expect(await repositories.oauthGrants.exchangeCode(code, { clientId: client.clientId })).toEqual({ outcome: 'expired' });
  });

  it('rotates a refresh token at every use and revokes the whole family when a spent one returns', async ({ repositories }) => {
    const { code, client } = await approvedCode(repositories, 'rotation');
    const grants = repositories.oauthGrants;
    const first = await grants.exchangeCode(code, { clientId: client.clientId });
    if (first.outcome !== 'issued') throw new Error(first.outcome);
    expect(await grants.exchangeRefreshToken(first.tokens.refreshToken, { clientId: 'another-client' })).toEqual({ outcome: 'unknown' });
    const second = await grants.exchangeRefreshToken(first.tokens.refreshToken, { clientId: client.clientId, resource: RESOURCE });
    if (second.outcome !== 'issued') throw new Error(second.outcome);
    expect(second.tokens.refreshToken).not.toBe(first.tokens.refreshToken);
    expect(await grants.findAccessTokenOwner(first.tokens.accessToken)).toBeDefined();
    expect(await grants.findAccessTokenOwner(second.tokens.accessToken)).toBeDefined();

    expect(await grants.exchangeRefreshToken(first.tokens.refreshToken, { clientId: client.clientId })).toEqual({ outcome: 'replayed' });
    expect(await grants.findAccessTokenOwner(first.tokens.accessToken)).toBeUndefined();
    expect(await grants.findAccessTokenOwner(second.tokens.accessToken)).toBeUndefined();
    expect(await grants.exchangeRefreshToken(second.tokens.refreshToken, { clientId: client.clientId })).toEqual({ outcome: 'revoked' });
  });

  it('ends every token of a revoked grant, and only the user may revoke it', async ({ repositories }) => {
    const { code, client, user, grantId } = await approvedCode(repositories, 'revoked-grant');
    const grants = repositories.oauthGrants;
    const issued = await grants.exchangeCode(code, { clientId: client.clientId });
    if (issued.outcome !== 'issued') throw new Error(issued.outcome);
    const stranger = await repositories.users.getOrCreate('stranger');
    expect(await grants.revokeGrant(stranger.id, grantId)).toBe(false);
    expect(await grants.findAccessTokenOwner(issued.tokens.accessToken)).toBeDefined();
    expect(await grants.revokeGrant(user.id, grantId)).toBe(true);
    expect(await grants.findAccessTokenOwner(issued.tokens.accessToken)).toBeUndefined();
    expect(await grants.exchangeRefreshToken(issued.tokens.refreshToken, { clientId: client.clientId })).toEqual({ outcome: 'revoked' });
    expect(await grants.listGrants(user.id)).toEqual([]);
  });

  it('revokes an access token alone, or a refresh token with its family, only for the client that holds it', async ({ repositories }) => {
    const { code, client } = await approvedCode(repositories, 'revocation');
    const grants = repositories.oauthGrants;
    const first = await grants.exchangeCode(code, { clientId: client.clientId });
    if (first.outcome !== 'issued') throw new Error(first.outcome);
    await grants.revokeToken(first.tokens.accessToken, 'another-client');
    expect(await grants.findAccessTokenOwner(first.tokens.accessToken)).toBeDefined();
    await grants.revokeToken(first.tokens.accessToken, client.clientId);
    expect(await grants.findAccessTokenOwner(first.tokens.accessToken)).toBeUndefined();
    const second = await grants.exchangeRefreshToken(first.tokens.refreshToken, { clientId: client.clientId });
    if (second.outcome !== 'issued') throw new Error(second.outcome);
    await grants.revokeToken(second.tokens.refreshToken, client.clientId);
    expect(await grants.findAccessTokenOwner(second.tokens.accessToken)).toBeUndefined();
  });

  it('stores codes and tokens only as hashes', async ({ repositories, database }) => {
    const { code, client } = await approvedCode(repositories, 'hashes');
    const issued = await repositories.oauthGrants.exchangeCode(code, { clientId: client.clientId });
    if (issued.outcome !== 'issued') throw new Error(issued.outcome);
    for (const table of ['oauth_authorization_codes', 'oauth_access_tokens', 'oauth_refresh_tokens']) {
      const { rows } = await sql<{ text: string }>`select string_agg(t::text, ' ') as text from ${sql.table(table)} as t`.execute(database.db);
      for (const secret of [code, issued.tokens.accessToken, issued.tokens.refreshToken]) expect(rows[0]!.text).not.toContain(secret.slice(5));
    }
  });

  it('purges sign-ins and access tokens once expired or revoked, codes a day after, and rotated refresh tokens only once expired', async ({ repositories, clock, database }) => {
    const grants = repositories.oauthGrants;
    const { code, client, user } = await approvedCode(repositories, 'purge');
    await grants.createPending({ client_id: client.clientId, redirect_uri: 'https://client.example/callback', code_challenge: 'c', state: null, resource: RESOURCE, scopes: [] });
    const first = await grants.exchangeCode(code, { clientId: client.clientId });
    if (first.outcome !== 'issued') throw new Error(first.outcome);
    const second = await grants.exchangeRefreshToken(first.tokens.refreshToken, { clientId: client.clientId });
    if (second.outcome !== 'issued') throw new Error(second.outcome);
    await grants.revokeToken(second.tokens.accessToken, client.clientId);
    const count = async (table: 'oauth_pending_authorizations' | 'oauth_authorization_codes' | 'oauth_access_tokens' | 'oauth_refresh_tokens') => {
      let query = database.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n'));
      query = table === 'oauth_pending_authorizations' ? query.where('client_id', '=', client.clientId) : query.where('user_id', '=', user.id);
      return Number((await query.executeTakeFirstOrThrow()).n);
    };
    const rows = async () => ({
      pending: await count('oauth_pending_authorizations'),
      codes: await count('oauth_authorization_codes'),
      access: await count('oauth_access_tokens'),
      refresh: await count('oauth_refresh_tokens'),
    });

    expect((await grants.purgeExpired()).accessTokens).toBeGreaterThanOrEqual(1);
    expect(await rows()).toEqual({ pending: 1, codes: 1, access: 1, refresh: 2 });
    await clock.advance(2 * 60 * 60_000);
    await grants.purgeExpired();
    expect(await rows()).toEqual({ pending: 0, codes: 1, access: 0, refresh: 2 });
    await clock.advance(24 * 60 * 60_000);
    await grants.purgeExpired();
    // The spent refresh token stays: presented again, it would still revoke its family.
    expect(await rows()).toEqual({ pending: 0, codes: 0, access: 0, refresh: 2 });
    expect(await grants.exchangeRefreshToken(second.tokens.refreshToken, { clientId: client.clientId })).toMatchObject({ outcome: 'issued' });
    await clock.advance(31 * 24 * 60 * 60_000);
    await grants.purgeExpired();
    expect(await rows()).toEqual({ pending: 0, codes: 0, access: 0, refresh: 0 });
  });
});

describe.each(DATABASES)('oauth grant repository holding token owners on %s', (kind) => {
  let handle: DatabaseHandle;
  let grants: OAuthGrantRepository;
  let owners: KeyOwnerCache<AccessTokenOwner>;
  let users: UserRepository;
  let stopListening: () => Promise<void>;
  const announced: string[] = [];
  const clock = new ManualClock();

  beforeAll(async () => {
    handle = await openTestDatabase(kind);
    owners = new KeyOwnerCache<AccessTokenOwner>({ maxEntries: 100, maxAgeMs: 60_000, clock });
    grants = new OAuthGrantRepository(handle.db, clock);
    grants.holdOwnersIn(owners);
    users = new UserRepository(handle.db, clock);
    const announcements: HeldPerUser = { invalidate: (userId) => void announced.push(userId), clear: () => undefined, setLive: () => undefined };
    stopListening = await keepHeldCoherent(handle, [owners, announcements], pino({ level: 'silent' }));
  });
  afterAll(async () => {
    await stopListening();
    await handle.close();
  });

  plainIt('refuses a held token once the database announces its grant revoked by another process', async () => {
    const user = await users.getOrCreate('held-token');
    await new OAuthClientRepository(handle.db).register({ clientId: 'held-client', secretHash: null, metadata: {} });
    const pending = await grants.createPending({ client_id: 'held-client', redirect_uri: 'https://c.example/cb', code_challenge: 'c', state: null, resource: RESOURCE, scopes: [] });
    const approved = (await grants.approve(user.id, pending.id, (await grants.findPending(pending.id, pending.csrf))!))!;
    const issued = await grants.exchangeCode(approved.code, { clientId: 'held-client' });
    if (issued.outcome !== 'issued') throw new Error(issued.outcome);
    await until(() => announced.length > 0 || owners.size >= 0);
    expect((await grants.findAccessTokenOwner(issued.tokens.accessToken))?.id).toBe(user.id);
    expect(owners.size).toBe(1);
    const seen = announced.length;
    await sql`update oauth_grants set revoked_at = now() where id = ${approved.grantId}`.execute(handle.db);
    await until(() => announced.slice(seen).includes(user.id));
    expect(await grants.findAccessTokenOwner(issued.tokens.accessToken)).toBeUndefined();
  });
});
