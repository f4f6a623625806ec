import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClientMetadataServer, type ClientMetadataServer } from '../support/client-metadata-server.js';
import { startHostedServer, type HostedServer, type HostedUser } from '../support/hosted-server.js';
import { DATABASES } from '../support/test-databases.js';

const REDIRECT = 'http://127.0.0.1:7777/callback';

/**
 * A client known by the URL of its metadata document, as the MCP specification prefers: no
 * registration, the server fetches the document when the client first sends its user to sign in.
 * The document server is on 127.0.0.1, so this server is told to allow private addresses.
 */
describe.each(DATABASES)('OAuth clients known by their metadata documents on %s', (kind) => {
  let documents: ClientMetadataServer;
  let hosted: HostedServer;
  let user: HostedUser;

  beforeAll(async () => {
    documents = await startClientMetadataServer();
    hosted = await startHostedServer(kind, { HTTP_RATE_LIMIT_PER_MINUTE: '100000', OAUTH_CLIENT_METADATA_ALLOW_PRIVATE: 'true' });
    user = await hosted.addUser('lin', ['Lin repairs clocks.']);
  });
  afterAll(async () => {
    await hosted?.close();
    await documents?.close();
  });

  const authorize = (clientId: string, challenge: string) =>
    fetch(
      `${hosted.server.url}/authorize?${new URLSearchParams({
        response_type: 'code',
        client_id: clientId,
        redirect_uri: REDIRECT,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state: 's',
        resource: `${hosted.server.url}/mcp`,
      }).toString()}`,
      { redirect: 'manual' },
    );

  it('says it supports them', async () => {
    const metadata = (await (await fetch(`${hosted.server.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(metadata.client_id_metadata_document_supported).toBe(true);
  });

  it('signs a user in for a client it has never seen, named as its document names it, and issues it tokens', async () => {
    const clientId = documents.documentUrl('Clockwork Notes', REDIRECT);
    const verifier = randomBytes(32).toString('base64url');
    const page = await authorize(clientId, createHash('sha256').update(verifier).digest('base64url'));
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Clockwork Notes');
    const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(html)![1]!;
    const consent = await fetch(`${hosted.server.url}/oauth/consent`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: page.headers.get('set-cookie')!.split(';')[0]! },
      body: new URLSearchParams({ request: field('request'), csrf: field('csrf'), decision: 'approve', api_key: user.key }),
    });
    const code = new URL(consent.headers.get('location')!).searchParams.get('code')!;
    const token = await fetch(`${hosted.server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', client_id: clientId, code, code_verifier: verifier, redirect_uri: REDIRECT }),
    });
    expect(token.status).toBe(200);
    const { access_token } = (await token.json()) as { access_token: string };
    expect((await hosted.fetch('/api/v1/memories', {}, access_token)).status).toBe(200);
    const { grants } = (await (await hosted.fetch('/api/v1/oauth/grants', {}, user.key)).json()) as { grants: { client_id: string; client_name: string }[] };
    expect(grants).toEqual([expect.objectContaining({ client_id: clientId, client_name: 'Clockwork Notes' })]);
  });

  it('refuses, before any redirect, a client whose document cannot be used', async () => {
    for (const name of ['huge', 'moved', 'impostor', 'confidential']) {
      const response = await authorize(`${documents.url}/clients/${name}.json`, 'challenge');
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(((await response.json()) as { error: string }).error).toBe('invalid_client');
    }
  });
});
