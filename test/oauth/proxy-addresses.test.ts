import { afterEach, describe, expect, it } from 'vitest';
import { startHostedServer, type HostedServer } from '../support/hosted-server.js';
import { DATABASES } from '../support/test-databases.js';

/** The MCP SDK's limit on client registrations, per address and hour. */
const REGISTRATIONS_PER_ADDRESS = 20;

/**
 * Behind a reverse proxy every request comes from the proxy's address: the OAuth endpoints' limits,
 * counted by address, tell clients apart only when `HTTP_TRUST_PROXY` names the proxy.
 */
describe.each(DATABASES)('OAuth limits behind a reverse proxy on %s', (kind) => {
  let hosted: HostedServer | undefined;
  afterEach(async () => {
    await hosted?.close();
    hosted = undefined;
  });

  async function register(forwardedFor: string): Promise<number> {
    const response = await hosted!.fetch('/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
      body: JSON.stringify({ client_name: 'Proxied', redirect_uris: ['http://127.0.0.1:7777/callback'], token_endpoint_auth_method: 'none' }),
    });
    await response.body?.cancel();
    return response.status;
  }

  it('counts each client by the address a trusted proxy forwards, and still limits each one', async () => {
    hosted = await startHostedServer(kind, { HTTP_TRUST_PROXY: 'loopback' });
    const manyClients = [];
    for (let client = 1; client <= REGISTRATIONS_PER_ADDRESS + 1; client += 1) manyClients.push(await register(`203.0.113.${client}`));
    expect(manyClients.every((status) => status === 201)).toBe(true);

    const oneClient = [];
    for (let attempt = 0; attempt <= REGISTRATIONS_PER_ADDRESS; attempt += 1) oneClient.push(await register('198.51.100.9'));
    expect(oneClient.slice(0, REGISTRATIONS_PER_ADDRESS).every((status) => status === 201)).toBe(true);
    expect(oneClient.at(-1)).toBe(429);
  });

  it('by default counts every request through a proxy as one client, whatever it forwards', async () => {
    hosted = await startHostedServer(kind, {});
    const statuses = [];
    for (let client = 1; client <= REGISTRATIONS_PER_ADDRESS + 1; client += 1) statuses.push(await register(`203.0.113.${client}`));
    expect(statuses.slice(0, REGISTRATIONS_PER_ADDRESS).every((status) => status === 201)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
  });
});
