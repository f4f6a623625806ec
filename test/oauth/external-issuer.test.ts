import { AccessDeniedError, InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { SignJWT } from 'jose';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExternalTokenVerifier, type ExternalTokenVerifierOptions } from '../../src/http/oauth/external-token-verifier.js';
import { IssuerUnavailableError } from '../../src/http/oauth/external-issuer.js';
import { FakeIssuer } from '../support/fake-issuer.js';
import { startHostedServer, type HostedServer, type HostedUser } from '../support/hosted-server.js';
import { ManualClock } from '../support/manual-clock.js';
import { callTool, textOf } from '../support/mcp-test-client.js';
import { DATABASES } from '../support/test-databases.js';

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * The server as the resource server of an operator's own authorization server (OAUTH_ISSUER): it
 * points clients to that issuer and accepts its tokens, checked with its published keys or by
 * introspection, beside API keys.
 */
describe.each(DATABASES)('An external authorization server on %s', (kind) => {
  const clock = new ManualClock(Date.now());
  let issuer: FakeIssuer;
  let hosted: HostedServer;
  let ada: HostedUser;
  let resource: string;

  beforeAll(async () => {
    issuer = await FakeIssuer.start();
    hosted = await startHostedServer(kind, { OAUTH_ISSUER: issuer.url, HTTP_RATE_LIMIT_PER_MINUTE: '100000' }, { clock });
    resource = `${hosted.server.url}/mcp`;
    ada = await hosted.addUser('ada', ['Ada keeps bees on a rooftop in Lisbon.']);
  });
  afterAll(async () => {
    await hosted?.close();
    await issuer?.close();
  });

  const token = (claims: Record<string, unknown> = {}, options: Partial<Parameters<FakeIssuer['sign']>[1]> = {}) =>
    issuer.sign({ sub: 'ada', aud: resource, ...claims }, { now: clock.now(), ...options });

  async function refusal(bearer: string): Promise<{ status: number; challenge: string | null; message: string }> {
    const response = await hosted.fetch('/api/v1/memories', {}, bearer);
    const body = (await response.json()) as { error: { message: string } };
    return { status: response.status, challenge: response.headers.get('www-authenticate'), message: body.error.message };
  }

  function verifier(options: Partial<ExternalTokenVerifierOptions>): ExternalTokenVerifier {
    return new ExternalTokenVerifier({
      issuer: issuer.url,
      audiences: [resource],
      userClaim: 'sub',
      createUsers: true,
      users: hosted.app.repositories.users,
      clock,
      logger: pino({ level: 'silent' }),
      ...options,
    });
  }

  it('names the issuer in its protected resource metadata and runs no authorization endpoints of its own', async () => {
    const metadata = (await (await hosted.fetch('/.well-known/oauth-protected-resource/mcp')).json()) as Record<string, unknown>;
    expect(metadata).toMatchObject({ resource, authorization_servers: [issuer.url] });
    expect((await hosted.fetch('/.well-known/oauth-authorization-server')).status).toBe(404);
    expect((await hosted.fetch('/register', { method: 'POST' })).status).toBe(404);
    const unauthenticated = await hosted.fetch('/mcp', { method: 'POST' });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get('www-authenticate')).toContain(`resource_metadata="${hosted.server.url}/.well-known/oauth-protected-resource/mcp"`);
  });

  it('lets a client with the issuer’s token call tools over Streamable HTTP as the user its sub claim names', async () => {
    const client = await hosted.mcpClient(await token());
    expect(textOf(await callTool(client, 'search_memories', { query: 'bees' }))).toContain('rooftop in Lisbon');
  });

  it('creates the user a token names for the first time', async () => {
    expect(await hosted.app.repositories.users.findByExternalId('grace')).toBeUndefined();
    const client = await hosted.mcpClient(await token({ sub: 'grace' }));
    await callTool(client, 'add_memories', { memories: [{ content: 'Grace sails on Sundays.' }] });
    const grace = await hosted.app.repositories.users.findByExternalId('grace');
    expect(grace).toBeDefined();
    expect(textOf(await callTool(client, 'list_memories', {}))).toContain('sails on Sundays');
  });

  it('accepts API keys beside the issuer’s tokens', async () => {
    const response = await hosted.fetch('/api/v1/memories', {}, ada.key);
    expect(response.status).toBe(200);
  });

  it.each([
    ['from another issuer', () => token({ iss: 'https://elsewhere.example.com' }), 'not issued by'],
    ['for another audience', () => token({ aud: 'https://other.example.com/mcp' }), 'not for this server'],
    ['expired beyond the tolerance', () => token({}, { now: clock.now() - 600_000, expiresIn: 60 }), 'expired'],
    ['not valid yet', () => token({ nbf: Math.floor(clock.now() / 1000) + 600 }), 'not valid yet'],
    ['with no expiry', () => new SignJWT({ iss: issuer.url, aud: resource, sub: 'ada' }).setProtectedHeader({ alg: 'ES256', kid: issuer.published[0]!.kid }).sign(issuer.published[0]!.privateKey), 'no expiry'],
    ['signed by another key under a published kid', async () => token({}, { key: await FakeIssuer.newKey(), kid: issuer.published[0]!.kid }), 'does not verify'],
    ['naming a key the issuer does not publish', async () => token({}, { key: await FakeIssuer.newKey() }), 'does not publish'],
    ['unsigned (alg none)', async () => `${base64url({ alg: 'none' })}.${base64url({ iss: issuer.url, aud: resource, sub: 'ada', exp: Math.floor(clock.now() / 1000) + 300 })}.`, 'algorithm'],
    [
      'signed with HMAC keyed by the public key',
      () =>
        new SignJWT({ iss: issuer.url, aud: resource, sub: 'ada', exp: Math.floor(clock.now() / 1000) + 300 })
          .setProtectedHeader({ alg: 'HS256', kid: issuer.published[0]!.kid })
          .sign(new TextEncoder().encode(JSON.stringify(issuer.published[0]!.publicJwk))),
      'algorithm',
    ],
    ['whose sub is not a user id', () => token({ sub: 'auth0|64f1' }), 'sub claim is not a user id'],
    ['that is not a JWT', () => Promise.resolve('opaque-token-from-somewhere'), 'not'],
  ])('refuses a token %s with 401 invalid_token', async (_case, make, reason) => {
    const refused = await refusal(await make());
    expect(refused.status).toBe(401);
    expect(refused.challenge).toContain('error="invalid_token"');
    expect(refused.challenge).toContain('resource_metadata=');
    expect(refused.message).toContain(reason);
  });

  it('accepts a token within half a minute of its expiry, the clocks’ tolerance', async () => {
    const response = await hosted.fetch('/api/v1/memories', {}, await token({}, { now: clock.now() - 80_000, expiresIn: 60 }));
    expect(response.status).toBe(200);
  });

  it('fetches the keys again when a token names a new one, at most every half minute, and refuses the withdrawn key', async () => {
    const old = issuer.published[0]!;
    const oldToken = await token();
    const fetches = issuer.jwksFetches;
    const rotated = await issuer.rotate();
    const newToken = await token({}, { key: rotated });
    // The keys were fetched less than half a minute ago: not again yet.
    expect((await refusal(newToken)).status).toBe(401);
    expect(issuer.jwksFetches).toBe(fetches);
    await clock.advance(31_000);
    expect((await hosted.fetch('/api/v1/memories', {}, newToken)).status).toBe(200);
    expect(issuer.jwksFetches).toBe(fetches + 1);
    const withdrawn = await refusal(oldToken);
    expect(withdrawn).toMatchObject({ status: 401, message: expect.stringContaining('does not publish') as string });
    expect(old.kid).not.toBe(rotated.kid);
  });

  it('fetches the keys again once they are ten minutes old', async () => {
    const fetches = issuer.jwksFetches;
    await clock.advance(10 * 60_000);
    expect((await hosted.fetch('/api/v1/memories', {}, await token())).status).toBe(200);
    expect((await hosted.fetch('/api/v1/memories', {}, await token())).status).toBe(200);
    expect(issuer.jwksFetches).toBe(fetches + 1);
  });

  it('refuses with 403 a user it has never seen when told not to create users', async () => {
    const check = verifier({ createUsers: false });
    await expect(check.verifyAccessToken(await token({ sub: 'stranger' }))).rejects.toBeInstanceOf(AccessDeniedError);
    await expect(check.verifyAccessToken(await token())).resolves.toMatchObject({ extra: { id: ada.id, externalId: 'ada' } });
    expect(await hosted.app.repositories.users.findByExternalId('stranger')).toBeUndefined();
  });

  it('accepts a configured audience beside the resource, and maps the user from another claim', async () => {
    const check = verifier({ audiences: [resource, 'narrative-api'], userClaim: 'preferred_username' });
    await expect(check.verifyAccessToken(await token({ aud: 'narrative-api', sub: 'f81d4fae', preferred_username: 'ada' }))).resolves.toMatchObject({
      extra: { externalId: 'ada' },
    });
  });

  it('says the issuer is unavailable, not that the token is bad, when its metadata cannot be read', async () => {
    const check = verifier({ issuer: 'http://127.0.0.1:9/realms/none' });
    await expect(check.verifyAccessToken(await token({ iss: 'http://127.0.0.1:9/realms/none' }))).rejects.toBeInstanceOf(IssuerUnavailableError);
  });

  it.each([
    ['answer more than 256 kB', 'oversized'],
    ['redirect elsewhere', 'redirect'],
  ] as const)('says the issuer is unavailable when its keys %s', async (_case, answer) => {
    issuer.keysAnswer = answer;
    try {
      await expect(verifier({}).verifyAccessToken(await token())).rejects.toBeInstanceOf(IssuerUnavailableError);
    } finally {
      issuer.keysAnswer = 'keys';
    }
  });

  describe('with introspection', () => {
    const introspecting = () => verifier({ introspection: { url: `${issuer.url}/introspect`, ...issuer.introspectionClient } });
    const seconds = () => Math.floor(clock.now() / 1000);

    it('accepts an active token for this server and holds the answer half a minute', async () => {
      const check = introspecting();
      issuer.introspected.set('opaque-active', { active: true, iss: issuer.url, aud: [resource, 'account'], sub: 'ada', exp: seconds() + 300, client_id: 'claude' });
      const before = issuer.introspections;
      await expect(check.verifyAccessToken('opaque-active')).resolves.toMatchObject({ clientId: 'claude', extra: { id: ada.id } });
      await expect(check.verifyAccessToken('opaque-active')).resolves.toMatchObject({ extra: { id: ada.id } });
      expect(issuer.introspections).toBe(before + 1);
      issuer.introspected.set('opaque-active', { active: false });
      await clock.advance(31_000);
      await expect(check.verifyAccessToken('opaque-active')).rejects.toThrow('not active');
      expect(issuer.introspections).toBe(before + 2);
    });

    it.each([
      ['inactive', { active: false }, 'not active'],
      ['for another audience', { aud: 'https://other.example.com/mcp' }, 'not for this server'],
      ['with no audience', { aud: undefined }, 'not for this server'],
      ['from another issuer', { iss: 'https://elsewhere.example.com' }, 'issued by'],
      ['expired', { exp: 1 }, 'expired'],
    ])('refuses a token the issuer says is %s', async (name, claims, reason) => {
      issuer.introspected.set(`opaque-${name}`, { active: true, iss: issuer.url, aud: resource, sub: 'ada', exp: seconds() + 300, ...claims });
      const refused = introspecting().verifyAccessToken(`opaque-${name}`);
      await expect(refused).rejects.toBeInstanceOf(InvalidTokenError);
      await expect(refused).rejects.toThrow(reason);
    });

    it('says the issuer is unavailable when the introspection endpoint refuses its credentials', async () => {
      const check = verifier({ introspection: { url: `${issuer.url}/introspect`, clientId: 'narrative resource', clientSecret: 'wrong' } });
      await expect(check.verifyAccessToken('opaque-anything')).rejects.toBeInstanceOf(IssuerUnavailableError);
    });
  });
});
