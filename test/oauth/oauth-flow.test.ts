import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeInChromium, launchChromium } from '../support/headless-chromium.js';
import { startHostedServer, type HostedServer, type HostedUser } from '../support/hosted-server.js';
import { callTool, textOf } from '../support/mcp-test-client.js';
import { MemoryOAuthClient } from '../support/memory-oauth-client.js';
import { DATABASES } from '../support/test-databases.js';

const FACTS = ['Ada keeps bees on a rooftop in Lisbon.', 'Ada is learning the cello.'];

/**
 * What claude.ai or ChatGPT does with this server, driven by the MCP SDK's own client OAuth support:
 * a 401 points it to the metadata, it registers itself, sends its user to the consent page (here a
 * real headless Chromium), exchanges the code with its PKCE verifier, and calls tools with the token.
 */
describeInChromium('OAuth sign-in of an MCP client', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  describe.each(DATABASES)('on %s', (kind) => {
    let hosted: HostedServer;
    let user: HostedUser;
    let oauth: MemoryOAuthClient;
    const clients: Client[] = [];

    beforeAll(async () => {
      hosted = await startHostedServer(kind, { HTTP_RATE_LIMIT_PER_MINUTE: '100000' });
      user = await hosted.addUser('ada', FACTS);
      oauth = new MemoryOAuthClient(`${hosted.server.url}/callback`, 'Bee Assistant');
    });
    afterAll(async () => {
      await Promise.allSettled(clients.map((client) => client.close()));
      await hosted?.close();
    });

    async function connect(transport: StreamableHTTPClientTransport | SSEClientTransport): Promise<Client> {
      const client = new Client({ name: 'oauth-test', version: '0' });
      await client.connect(transport);
      clients.push(client);
      return client;
    }

    it('discovers the server from the 401, registers, and sends its user to the consent page', async () => {
      const transport = new StreamableHTTPClientTransport(new URL(`${hosted.server.url}/mcp`), { authProvider: oauth });
      await expect(connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
      const url = oauth.authorizationUrl!;
      expect(url.origin + url.pathname).toBe(`${hosted.server.url}/authorize`);
      expect(url.searchParams.get('code_challenge_method')).toBe('S256');
      expect(url.searchParams.get('resource')).toBe(`${hosted.server.url}/mcp`);
      expect(oauth.clientInformation()?.client_id).toBeTruthy();
    });

    it('signs the user in with an API key in the browser and gets a code back with state and iss', async () => {
      const page = await browser.newPage();
      try {
        const response = await page.goto(oauth.authorizationUrl!.href);
        expect(response?.status()).toBe(200);
        expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
        expect(response?.headers()['x-frame-options']).toBe('DENY');
        await expect(page.getByTestId('client-name').textContent()).resolves.toBe('Bee Assistant');
        await expect(page.getByTestId('redirect-host').textContent()).resolves.toBe(new URL(hosted.server.url).host);

        await page.getByTestId('api-key').fill('nmcp_not-a-key');
        await page.getByTestId('approve').click();
        await page.getByTestId('consent-error').filter({ hasText: 'unknown or revoked' }).waitFor();

        await page.getByTestId('api-key').fill(user.key);
        await Promise.all([page.waitForURL(/\/callback\?/), page.getByTestId('approve').click()]);
        const back = new URL(page.url());
        expect(back.searchParams.get('state')).toBe(oauth.lastState);
        expect(back.searchParams.get('iss')).toBe(`${hosted.server.url}/`);
        const code = back.searchParams.get('code')!;
        expect(code).toBeTruthy();

        const transport = new StreamableHTTPClientTransport(new URL(`${hosted.server.url}/mcp`), { authProvider: oauth });
        await transport.finishAuth(code);
        expect(oauth.tokens()).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
      } finally {
        await page.close();
      }
    });

    it('calls a tool with the access token over Streamable HTTP, as the user who signed in', async () => {
      const client = await connect(new StreamableHTTPClientTransport(new URL(`${hosted.server.url}/mcp`), { authProvider: oauth }));
      const result = await callTool(client, 'search_memories', { query: 'bees' });
      expect(textOf(result)).toContain('rooftop in Lisbon');
    });

    it('calls a tool with the access token over the legacy SSE transport', async () => {
      const client = await connect(new SSEClientTransport(new URL(`${hosted.server.url}/sse`), { authProvider: oauth }));
      const result = await callTool(client, 'list_memories', {});
      expect(textOf(result)).toContain('cello');
    });

    it('refreshes its tokens, getting a new refresh token each time, and keeps working', async () => {
      const before = oauth.tokens()!;
      expect(await auth(oauth, { serverUrl: `${hosted.server.url}/mcp` })).toBe('AUTHORIZED');
      const after = oauth.tokens()!;
      expect(after.refresh_token).not.toBe(before.refresh_token);
      expect(after.access_token).not.toBe(before.access_token);
      const client = await connect(new StreamableHTTPClientTransport(new URL(`${hosted.server.url}/mcp`), { authProvider: oauth }));
      expect(textOf(await callTool(client, 'search_memories', { query: 'cello' }))).toContain('cello');
    });

    it('lists the client among the user’s connected clients, and one revoked in the dashboard fails at its next request', async () => {
      const listed = await hosted.fetch('/api/v1/oauth/grants', {}, user.key);
      const { grants } = (await listed.json()) as { grants: { id: string; client_name: string; redirect_host: string; last_used_at: string | null }[] };
      expect(grants).toEqual([expect.objectContaining({ client_name: 'Bee Assistant', redirect_host: new URL(hosted.server.url).host })]);
      expect(grants[0]!.last_used_at).not.toBeNull();

      const token = oauth.tokens()!.access_token;
      const withToken = () => hosted.fetch('/api/v1/memories', {}, token);
      expect((await withToken()).status).toBe(200);

      const page = await browser.newPage();
      try {
        await page.goto(`${hosted.server.url}/`);
        await page.getByTestId('key-input').fill(user.key);
        await page.getByTestId('key-submit').click();
        const connected = page.getByTestId('connected-client');
        await connected.filter({ hasText: 'Bee Assistant' }).waitFor();
        await page.getByTestId('revoke-client').click();
        await page.getByTestId('clients-status').filter({ hasText: 'can no longer use your memories' }).waitFor();
        expect(await connected.count()).toBe(0);
      } finally {
        await page.close();
      }
      const refused = await withToken();
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(await (await hosted.fetch('/api/v1/oauth/grants', {}, user.key)).json()).toEqual({ grants: [] });
    });
  });
});
