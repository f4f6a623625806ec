import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturedLogger } from '../support/captured-logger.js';
import { startHostedServer, type HostedServer, type HostedUser } from '../support/hosted-server.js';
import { ManualClock } from '../support/manual-clock.js';
import { DATABASES } from '../support/test-databases.js';

interface RegisteredClient {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
}

interface ConsentForm {
  request: string;
  csrf: string;
  cookie: string;
}

interface Tokens {
  access_token: string;
  refresh_token: string;
}

const REDIRECT = 'http://127.0.0.1:7777/callback';

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/**
 * Every way the OAuth endpoints can be misused, each refused with the error OAuth names for it,
 * driven with plain HTTP requests (the page's form posted as a browser would post it).
 */
describe.each(DATABASES)('OAuth refusals on %s', (kind) => {
  const clock = new ManualClock();
  const logs = capturedLogger('trace');
  /** Every code and token the tests were given, none of which may reach a log. */
  const secrets: string[] = [];
  let hosted: HostedServer;
  let user: HostedUser;
  let client: RegisteredClient;
  let base: string;

  beforeAll(async () => {
    hosted = await startHostedServer(kind, { HTTP_RATE_LIMIT_PER_MINUTE: '100000' }, { clock, logger: logs.logger });
    base = hosted.server.url;
    user = await hosted.addUser('grace', ['Grace sails on Sundays.']);
    client = await register({ client_name: 'Sailing Helper', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' });
  });
  afterAll(async () => {
    await hosted?.close();
  });

  async function register(metadata: Record<string, unknown>): Promise<RegisteredClient> {
    const response = await fetch(`${base}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(metadata) });
    expect(response.status).toBe(201);
    return (await response.json()) as RegisteredClient;
  }

  function authorizeUrl(params: Record<string, string | undefined>): string {
    const query = new URLSearchParams();
    const all: Record<string, string | undefined> = {
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: REDIRECT,
      code_challenge_method: 'S256',
      state: 'the-state',
      resource: `${base}/mcp`,
      ...params,
    };
    for (const [name, value] of Object.entries(all)) if (value !== undefined) query.set(name, value);
    return `${base}/authorize?${query.toString()}`;
  }

  async function openConsent(params: Record<string, string | undefined>): Promise<ConsentForm> {
    const response = await fetch(authorizeUrl(params), { redirect: 'manual' });
    expect(response.status).toBe(200);
    const html = await response.text();
    const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(html)![1]!;
    return { request: field('request'), csrf: field('csrf'), cookie: response.headers.get('set-cookie')!.split(';')[0]! };
  }

  async function answer(form: ConsentForm, fields: Record<string, string>, cookie: string | null = form.cookie): Promise<Response> {
    return fetch(`${base}/oauth/consent`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie === null ? {} : { cookie }) },
      body: new URLSearchParams({ request: form.request, csrf: form.csrf, ...fields }),
    });
  }

  /** A code the user approved, with the verifier that goes with it. */
  async function approvedCode(forClient: RegisteredClient = client, redirectUri = REDIRECT): Promise<{ code: string; verifier: string }> {
    const { verifier, challenge } = pkce();
    const form = await openConsent({ client_id: forClient.client_id, redirect_uri: redirectUri, code_challenge: challenge });
    const response = await answer(form, { decision: 'approve', api_key: user.key });
    expect(response.status).toBe(303);
    const code = new URL(response.headers.get('location')!).searchParams.get('code')!;
    secrets.push(code, verifier, form.csrf, form.request);
    return { code, verifier };
  }

  async function token(fields: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${base}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: client.client_id, ...fields }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    for (const name of ['access_token', 'refresh_token']) if (typeof body[name] === 'string') secrets.push(body[name]);
    return { status: response.status, body };
  }

  async function tokensFor(code: { code: string; verifier: string }): Promise<Tokens> {
    const answered = await token({ grant_type: 'authorization_code', code: code.code, code_verifier: code.verifier, redirect_uri: REDIRECT });
    expect(answered.status).toBe(200);
    return answered.body as unknown as Tokens;
  }

  const withToken = (accessToken: string) => hosted.fetch('/api/v1/memories', {}, accessToken);

  it('publishes its authorization server and protected resource metadata', async () => {
    const server = (await (await fetch(`${base}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(server).toMatchObject({
      issuer: `${base}/`,
      authorization_endpoint: `${base}/authorize`,
      token_endpoint: `${base}/token`,
      registration_endpoint: `${base}/register`,
      revocation_endpoint: `${base}/revoke`,
      code_challenge_methods_supported: ['S256'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      authorization_response_iss_parameter_supported: true,
    });
    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
      expect(await (await fetch(`${base}${path}`)).json()).toMatchObject({ resource: `${base}/mcp`, authorization_servers: [`${base}/`] });
    }
  });

  it('points every 401 on /mcp, /sse and /api to the resource metadata, keeping the realm', async () => {
    for (const [path, init] of [['/mcp', { method: 'POST' }], ['/sse', {}], ['/api/v1/memories', {}]] as const) {
      const response = await hosted.fetch(path, init);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe(`Bearer realm="narrative-mcp", resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`);
    }
  });

  it('keeps API keys working beside tokens', async () => {
    expect((await withToken(user.key)).status).toBe(200);
  });

  it('answers an unregistered redirect URI, or a registered loopback one on another port, itself rather than redirecting', async () => {
    for (const redirectUri of ['https://attacker.example/steal', 'http://127.0.0.1:7778/callback']) {
      const response = await fetch(authorizeUrl({ redirect_uri: redirectUri, code_challenge: pkce().challenge }), { redirect: 'manual' });
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
    }
  });

  it('refuses a client metadata document on a private or loopback address', async () => {
    for (const clientId of ['https://127.0.0.1:9/clients/app.json', 'https://[::1]:9/clients/app.json', 'https://169.254.169.254/latest/meta-data']) {
      const response = await fetch(authorizeUrl({ client_id: clientId, code_challenge: pkce().challenge }), { redirect: 'manual' });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_client', error_description: expect.stringContaining('not on the internet') });
    }
  });

  it('refuses to register a plain http redirect URI off the client’s own machine', async () => {
    const response = await fetch(`${base}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: ['http://client.example/callback'] }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_client_metadata');
  });

  it('refuses a resource that is not this server, at the authorization and at the token endpoint', async () => {
    const response = await fetch(authorizeUrl({ resource: 'https://other.example/mcp', code_challenge: pkce().challenge }), { redirect: 'manual' });
    expect(response.status).toBe(302);
    const back = new URL(response.headers.get('location')!);
    expect(back.searchParams.get('error')).toBe('invalid_target');
    expect(back.searchParams.get('state')).toBe('the-state');
    expect(back.searchParams.get('iss')).toBe(`${base}/`);

    const code = await approvedCode();
    const refused = await token({ grant_type: 'authorization_code', code: code.code, code_verifier: code.verifier, resource: 'https://other.example/mcp' });
    expect(refused).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
  });

  it('sends a denial back as access_denied with state and iss', async () => {
    const form = await openConsent({ code_challenge: pkce().challenge });
    const response = await answer(form, { decision: 'deny' });
    expect(response.status).toBe(303);
    const back = new URL(response.headers.get('location')!);
    expect(back.origin + back.pathname).toBe(REDIRECT);
    expect(Object.fromEntries(back.searchParams)).toMatchObject({ error: 'access_denied', state: 'the-state', iss: `${base}/` });
  });

  it('refuses a consent form posted without the cookie of the browser it was opened in', async () => {
    const form = await openConsent({ code_challenge: pkce().challenge });
    const other = await openConsent({ code_challenge: pkce().challenge });
    const withoutCookie = await answer(form, { decision: 'approve', api_key: user.key }, null);
    expect(withoutCookie.status).toBe(403);
    expect(withoutCookie.headers.get('location')).toBeNull();
    const wrongCookie = await answer(form, { decision: 'approve', api_key: user.key }, other.cookie.replace(/^[^=]+/, form.cookie.split('=')[0]!));
    expect(wrongCookie.status).toBe(403);
    // The form itself is still good in the browser that opened it.
    expect((await answer(form, { decision: 'approve', api_key: user.key })).status).toBe(303);
  });

  it('forbids framing the consent page', async () => {
    const response = await fetch(authorizeUrl({ code_challenge: pkce().challenge }));
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('requires the PKCE verifier, and the right one', async () => {
    const code = await approvedCode();
    expect(await token({ grant_type: 'authorization_code', code: code.code })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await token({ grant_type: 'authorization_code', code: code.code, code_verifier: pkce().verifier })).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant' },
    });
    expect((await tokensFor(code)).access_token).toMatch(/^nmat_/);
  });

  it('refuses a code for another client or another redirect URI', async () => {
    const other = await register({ client_name: 'Other', redirect_uris: ['http://127.0.0.1:7777/other'], token_endpoint_auth_method: 'none' });
    const code = await approvedCode();
    const asOther = await fetch(`${base}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: other.client_id, grant_type: 'authorization_code', code: code.code, code_verifier: code.verifier }),
    });
    expect(asOther.status).toBe(400);
    expect(((await asOther.json()) as { error: string }).error).toBe('invalid_grant');
    const elsewhere = await token({ grant_type: 'authorization_code', code: code.code, code_verifier: code.verifier, redirect_uri: 'http://127.0.0.1:7777/other' });
    expect(elsewhere).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('refuses a reused code and revokes the tokens issued for it', async () => {
    const code = await approvedCode();
    const tokens = await tokensFor(code);
    expect((await withToken(tokens.access_token)).status).toBe(200);
    expect(await token({ grant_type: 'authorization_code', code: code.code, code_verifier: code.verifier })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect((await withToken(tokens.access_token)).status).toBe(401);
  });

  it('refuses a code older than a minute', async () => {
    const code = await approvedCode();
    await clock.advance(61_000);
    expect(await token({ grant_type: 'authorization_code', code: code.code, code_verifier: code.verifier })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('refuses an expired access token with invalid_token, and the refresh token still renews it', async () => {
    const tokens = await tokensFor(await approvedCode());
    await clock.advance(60 * 60_000);
    const expired = await withToken(tokens.access_token);
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const renewed = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    expect(renewed.status).toBe(200);
    expect((await withToken(renewed.body.access_token as string)).status).toBe(200);
  });

  it('revokes the whole family when a rotated refresh token is replayed', async () => {
    const first = await tokensFor(await approvedCode());
    const second = (await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token })).body as unknown as Tokens;
    expect((await withToken(second.access_token)).status).toBe(200);
    expect(await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect((await withToken(second.access_token)).status).toBe(401);
    expect(await token({ grant_type: 'refresh_token', refresh_token: second.refresh_token })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('refuses a token issued for another resource', async () => {
    const tokens = await tokensFor(await approvedCode());
    const renewed = (await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).body as unknown as Tokens;
    // As if another server sharing the database had issued it: never used here, so never held.
    const hash = createHash('sha256').update(renewed.access_token).digest('hex');
    await sql`update oauth_access_tokens set resource = 'https://other.example/mcp' where token_hash = ${hash}`.execute(hosted.app.database.db);
    const refused = await withToken(renewed.access_token);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('refuses a token in the query string, even a good one', async () => {
    const tokens = await tokensFor(await approvedCode());
    const response = await fetch(`${base}/api/v1/memories?access_token=${tokens.access_token}`);
    expect(response.status).toBe(400);
    expect((await withToken(tokens.access_token)).status).toBe(200);
  });

  it('ends an access token revoked at the revocation endpoint', async () => {
    const tokens = await tokensFor(await approvedCode());
    const response = await fetch(`${base}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: client.client_id, token: tokens.access_token }),
    });
    expect(response.status).toBe(200);
    expect((await withToken(tokens.access_token)).status).toBe(401);
  });

  it('lets only the user revoke their connected client', async () => {
    await tokensFor(await approvedCode());
    const { grants } = (await (await hosted.fetch('/api/v1/oauth/grants', {}, user.key)).json()) as { grants: { id: string }[] };
    const stranger = await hosted.addUser('stranger');
    expect((await hosted.fetch(`/api/v1/oauth/grants/${grants[0]!.id}`, { method: 'DELETE' }, stranger.key)).status).toBe(404);
    expect((await hosted.fetch(`/api/v1/oauth/grants/${grants[0]!.id}`, { method: 'DELETE' }, user.key)).status).toBe(200);
    expect((await hosted.fetch(`/api/v1/oauth/grants/${grants[0]!.id}`, { method: 'DELETE' }, user.key)).status).toBe(404);
  });

  it('authenticates a confidential client by its secret, stored only as a hash', async () => {
    const confidential = await register({ client_name: 'Server app', redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'client_secret_post' });
    expect(confidential.client_secret).toBeTruthy();
    const { rows } = await sql<{ text: string }>`select oauth_clients::text as text from oauth_clients where client_id = ${confidential.client_id}`.execute(
      hosted.app.database.db,
    );
    expect(rows[0]!.text).not.toContain(confidential.client_secret);
    const code = await approvedCode(confidential, 'https://app.example/cb');
    const exchange = (secret: string) =>
      fetch(`${base}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: confidential.client_id, client_secret: secret, grant_type: 'authorization_code', code: code.code, code_verifier: code.verifier }),
      });
    const wrong = await exchange('not-the-secret');
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: string }).error).toBe('invalid_client');
    expect((await exchange(confidential.client_secret!)).status).toBe(200);
  });

  it('never logs a code, token, verifier or form secret', () => {
    expect(logs.lines.some((line) => line.msg === 'http request')).toBe(true);
    const written = JSON.stringify(logs.lines);
    expect(secrets.length).toBeGreaterThan(20);
    for (const secret of secrets) expect(written).not.toContain(secret);
    expect(written).not.toContain(user.key);
  });
});
