import { InvalidGrantError, InvalidRequestError, InvalidTargetError, InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { AuthorizationParams, OAuthServerProvider } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { OAuthClientInformationFull, OAuthTokenRevocationRequest, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { Response } from 'express';
import type { Clock } from '../../clock/clock.js';
import { SECOND_MS } from '../../clock/durations.js';
import { ACCESS_TOKEN_PREFIX, type IssuedTokens, type OAuthGrantRepository } from '../../repositories/oauth-grant-repository.js';
import type { AccessTokenCheck } from '../middleware/bearer-auth.js';
import { consentCookie, renderConsentPage } from './consent-page.js';
import type { OAuthClientsStore } from './oauth-clients-store.js';
import type { OAuthUrls } from './oauth-urls.js';

/** Why an authorization code or refresh token was refused, as the client is told. */
const GRANT_REFUSALS = {
  unknown: 'The code or refresh token is unknown, or was not issued to this client.',
  expired: 'The code or refresh token has expired; sign in again.',
  redirect_mismatch: 'redirect_uri is not the one the code was issued for.',
  grant_revoked: 'The user revoked this client’s access; sign in again.',
  revoked: 'The refresh token was revoked; sign in again.',
  reused: 'The code was already used; every token issued for it is now revoked.',
  replayed: 'The refresh token was already used; every token of its family is now revoked.',
} as const;

/**
 * This server as its own OAuth 2.1 authorization server, for the MCP SDK's `mcpAuthRouter`: the
 * SDK checks the requests (client, registered redirect URI, PKCE S256 and the verifier), this
 * decides. The user signs in on our consent page with one of their API keys; codes and tokens
 * live in the database (`OAuthGrantRepository`), bound to this server's resource.
 */
export class OAuthProvider implements OAuthServerProvider, AccessTokenCheck {
  constructor(
    readonly clientsStore: OAuthClientsStore,
    private readonly grants: OAuthGrantRepository,
    private readonly urls: OAuthUrls,
    private readonly clock: Clock,
  ) {}

  async authorize(client: OAuthClientInformationFull, params: AuthorizationParams, res: Response): Promise<void> {
    // The SDK lets a loopback redirect URI differ in its port (RFC 8252); we match exactly, and answer
    // here rather than redirect, since a redirect URI that is not registered must never be followed.
    if (!client.redirect_uris.includes(params.redirectUri)) {
      res.status(400).json(new InvalidRequestError('redirect_uri must be exactly one the client registered').toResponseObject());
      return;
    }
    const resource = this.#checkedResource(params.resource);
    const pending = await this.grants.createPending({
      client_id: client.client_id,
      redirect_uri: params.redirectUri,
      code_challenge: params.codeChallenge,
      state: params.state ?? null,
      resource,
      scopes: params.scopes ?? [],
    });
    res
      .status(200)
      .set(consentCookie(pending.id, pending.csrf, this.urls, pending.expiresAt.getTime() - this.clock.now()))
      .type('html')
      .send(renderConsentPage({ client, redirectUri: params.redirectUri, pendingId: pending.id, csrf: pending.csrf }));
  }

  async challengeForAuthorizationCode(client: OAuthClientInformationFull, authorizationCode: string): Promise<string> {
    const code = await this.grants.findCode(authorizationCode, client.client_id);
    if (!code) throw new InvalidGrantError(GRANT_REFUSALS.unknown);
    return code.code_challenge;
  }

  async exchangeAuthorizationCode(
    client: OAuthClientInformationFull,
    authorizationCode: string,
    _codeVerifier?: string,
    redirectUri?: string,
    resource?: URL,
  ): Promise<OAuthTokens> {
    const exchange = await this.grants.exchangeCode(authorizationCode, {
      clientId: client.client_id,
      redirectUri,
      resource: resource && this.#checkedResource(resource),
    });
    if (exchange.outcome === 'issued') return tokenResponse(exchange.tokens);
    if (exchange.outcome === 'resource_mismatch') throw new InvalidTargetError('resource is not the one the code was issued for');
    throw new InvalidGrantError(GRANT_REFUSALS[exchange.outcome]);
  }

  async exchangeRefreshToken(client: OAuthClientInformationFull, refreshToken: string, _scopes?: string[], resource?: URL): Promise<OAuthTokens> {
    const exchange = await this.grants.exchangeRefreshToken(refreshToken, { clientId: client.client_id, resource: resource && this.#checkedResource(resource) });
    if (exchange.outcome === 'issued') return tokenResponse(exchange.tokens);
    if (exchange.outcome === 'resource_mismatch') throw new InvalidTargetError('resource is not the one the refresh token was issued for');
    throw new InvalidGrantError(GRANT_REFUSALS[exchange.outcome]);
  }

  accepts(token: string): boolean {
    return token.startsWith(ACCESS_TOKEN_PREFIX);
  }

  /** The owner of a live access token for this server; throws `InvalidTokenError` saying why not. */
  async verifyAccessToken(token: string): Promise<AuthInfo & { extra: { id: string; externalId: string; keyId: string } }> {
    const owner = await this.grants.findAccessTokenOwner(token);
    if (!owner) throw new InvalidTokenError('This access token is unknown or revoked.');
    if (owner.expiresAt <= this.clock.now()) throw new InvalidTokenError('This access token has expired; refresh it.');
    if (owner.resource !== this.urls.resource) throw new InvalidTokenError(`This access token is for another resource, not ${this.urls.resource}.`);
    return {
      // The secret never travels further than the middleware: the grant id stands in for it.
      token: owner.grantId,
      clientId: owner.clientId,
      scopes: [],
      expiresAt: Math.floor(owner.expiresAt / SECOND_MS),
      resource: new URL(owner.resource),
      extra: { id: owner.id, externalId: owner.externalId, keyId: owner.grantId },
    };
  }

  async revokeToken(client: OAuthClientInformationFull, request: OAuthTokenRevocationRequest): Promise<void> {
    await this.grants.revokeToken(request.token, client.client_id);
  }

  /** The resource asked for, which must be this server (RFC 8707); absent, it is this server. */
  #checkedResource(resource: URL | undefined): string {
    if (resource === undefined) return this.urls.resource;
    if (resource.href !== new URL(this.urls.resource).href) {
      throw new InvalidTargetError(`This server issues tokens only for its own resource, ${this.urls.resource}.`);
    }
    return this.urls.resource;
  }
}

function tokenResponse(tokens: IssuedTokens): OAuthTokens {
  return { access_token: tokens.accessToken, token_type: 'Bearer', expires_in: tokens.expiresIn, refresh_token: tokens.refreshToken };
}
