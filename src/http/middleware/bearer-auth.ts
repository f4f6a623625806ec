import { AccessDeniedError, InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { ApiKeyRepository } from '../../repositories/api-key-repository.js';
import { authInfoFor } from '../request-user.js';
import { sendError } from '../send-error.js';

const ACCESS_TOKEN_IN_QUERY = /[?&]access_token=/;

/** Checks the OAuth access tokens it accepts (told apart from API keys by the token alone). */
export interface AccessTokenCheck extends OAuthTokenVerifier {
  accepts(token: string): boolean;
}

export interface BearerAuthOptions {
  apiKeys: ApiKeyRepository;
  /** Checks OAuth access tokens; without it only API keys are accepted. */
  accessTokens?: AccessTokenCheck | undefined;
  /** Protected Resource Metadata (RFC 9728) every 401 points OAuth clients to. */
  resourceMetadataUrl?: string | undefined;
  logger: Logger;
}

/**
 * Requires `Authorization: Bearer <key or access token>`; it decides the user. An API key is looked
 * up by its hash (in a serving process usually among the key owners it holds, which a revocation
 * empties at once, see `KeyOwnerCache`); an OAuth access token, told apart by its prefix, is checked
 * for expiry, revocation and this server as its resource (by this server, or with the external
 * issuer's keys or introspection). Neither is ever logged, nor accepted in a URL.
 */
export function bearerAuth({ apiKeys, accessTokens, resourceMetadataUrl, logger }: BearerAuthOptions): RequestHandler {
  const challenge = `Bearer realm="narrative-mcp"${resourceMetadataUrl ? `, resource_metadata="${resourceMetadataUrl}"` : ''}`;
  const refuse = (res: Response, message: string, error?: string) =>
    sendError(res, 401, 'unauthorized', message, { 'WWW-Authenticate': error ? `${challenge}, error="${error}"` : challenge });

  return async (req: Request, res: Response, next: NextFunction) => {
    // Read from the raw URL: `req.query` would parse the query string of every request.
    if (ACCESS_TOKEN_IN_QUERY.test(req.url)) {
      sendError(res, 400, 'invalid_request', 'Send the token in the Authorization header, never in the URL.', {
        'WWW-Authenticate': `${challenge}, error="invalid_request"`,
      });
      return;
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match) {
      refuse(res, 'Send your key as "Authorization: Bearer <key>" (create one with `narrative-mcp keys create`), or sign in with OAuth.');
      return;
    }
    const token = match[1]!;
    let auth: AuthInfo | undefined;
    try {
      if (accessTokens?.accepts(token)) {
        auth = await accessTokens.verifyAccessToken(token);
      } else {
        const owner = await apiKeys.findOwnerByKey(token);
        auth = owner && authInfoFor(owner);
      }
    } catch (error) {
      if (error instanceof InvalidTokenError) {
        refuse(res, error.message, 'invalid_token');
        return;
      }
      if (error instanceof AccessDeniedError) {
        sendError(res, 403, 'forbidden', error.message);
        return;
      }
      logger.error({ err: error }, 'key lookup failed');
      sendError(res, 503, 'unavailable', 'The server cannot check keys right now; try again shortly.', { 'Retry-After': '5' });
      return;
    }
    if (!auth) {
      refuse(res, 'This key is unknown or revoked.', 'invalid_token');
      return;
    }
    (req as Request & { auth?: AuthInfo }).auth = auth;
    next();
  };
}
