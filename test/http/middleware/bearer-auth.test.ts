import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AccessDeniedError, InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import express from 'express';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerAuth } from '../../../src/http/middleware/bearer-auth.js';
import { IssuerUnavailableError } from '../../../src/http/oauth/external-issuer.js';
import type { ApiKeyRepository } from '../../../src/repositories/api-key-repository.js';

const METADATA = 'https://narrative.example.com/.well-known/oauth-protected-resource/mcp';

/** How the bearer check answers each way an access token check can end, whichever authorization server issued it. */
describe('the bearer check of OAuth access tokens', () => {
  let server: Server;
  let base: string;
  const outcomes: Record<string, () => Promise<never>> = {
    invalid: () => Promise.reject(new InvalidTokenError('This access token has expired; refresh it.')),
    denied: () => Promise.reject(new AccessDeniedError('There is no user "stranger" on this server.')),
    unavailable: () => Promise.reject(new IssuerUnavailableError('the issuer cannot be reached')),
  };

  beforeAll(async () => {
    const app = express();
    app.use(
      bearerAuth({
        // No token reaches the key lookup here: every one is the access token check's.
        apiKeys: {} as ApiKeyRepository,
        accessTokens: { accepts: () => true, verifyAccessToken: (token) => outcomes[token]!() },
        resourceMetadataUrl: METADATA,
        logger: pino({ level: 'silent' }),
      }),
    );
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  const call = (token: string) => fetch(`${base}/mcp`, { headers: { authorization: `Bearer ${token}` } });

  it('answers a refused token with 401 invalid_token pointing to the resource metadata', async () => {
    const response = await call('invalid');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(`Bearer realm="narrative-mcp", resource_metadata="${METADATA}", error="invalid_token"`);
    expect(await response.json()).toEqual({ error: { code: 'unauthorized', message: 'This access token has expired; refresh it.' } });
  });

  it('answers a valid token of a user not let in with 403', async () => {
    const response = await call('denied');
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: { code: 'forbidden', message: 'There is no user "stranger" on this server.' } });
  });

  it('answers 503 with Retry-After when the issuer cannot be asked, since the token is not known to be bad', async () => {
    const response = await call('unavailable');
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
  });
});
