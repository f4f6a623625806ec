import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Logger } from 'pino';
import type { App } from '../../src/app/app.js';
import type { Clock } from '../../src/clock/clock.js';
import type { DatabaseKind } from '../../src/db/open-database.js';
import { startHttpServer, type RunningHttpServer } from '../../src/http/start-http-server.js';
import type { LlmProvider } from '../../src/llm/llm-provider.js';
import { connectOverHttp } from './mcp-test-client.js';
import { openTestApp } from './test-app.js';

export interface HostedUser {
  id: string;
  externalId: string;
  key: string;
}

/** The HTTP server on a test database of its own, with helpers to make users and talk to it as clients do. */
export interface HostedServer {
  app: App;
  server: RunningHttpServer;
  /** Creates a user with these memories and a bearer key. */
  addUser(externalId: string, facts?: readonly string[]): Promise<HostedUser>;
  /** A request with the key as bearer token (none when `key` is null). */
  fetch(path: string, init?: RequestInit, key?: string | null): Promise<Response>;
  /** Opens a Streamable HTTP session with a raw JSON-RPC `initialize` (no SDK client) and returns its id. */
  openRawSession(key: string, clientName?: string): Promise<string>;
  /** A real MCP SDK client over Streamable HTTP or the legacy SSE transport. */
  mcpClient(key: string, transport?: 'streamable' | 'sse'): Promise<Client>;
  close(): Promise<void>;
}

export async function startHostedServer(
  kind: DatabaseKind,
  env: Record<string, string>,
  options: { provider?: LlmProvider; logger?: Logger; clock?: Clock } = {},
): Promise<HostedServer> {
  const app = await openTestApp(kind, env, options);
  const server = await startHttpServer(app, { host: '127.0.0.1', port: 0 });
  const clients = new Set<Client>();
  const fetchAs: HostedServer['fetch'] = (path, init = {}, key = null) => {
    const headers = new Headers(init.headers);
    if (key !== null) headers.set('Authorization', `Bearer ${key}`);
    return fetch(`${server.url}${path}`, { ...init, headers });
  };
  return {
    app,
    server,
    async addUser(externalId, facts = []) {
      const user = await app.repositories.users.getOrCreate(externalId);
      if (facts.length > 0) await app.engine.memories.add(user.id, facts.map((content) => ({ content })), 'test');
      return { id: user.id, externalId, key: (await app.repositories.apiKeys.create(user.id)).key };
    },
    fetch: fetchAs,
    async openRawSession(key, clientName = 'raw') {
      const response = await fetchAs(
        '/mcp',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
          body: JSON.stringify({
            jsonrpc: '2.0',
            id: 0,
            method: 'initialize',
            params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: clientName, version: '0' } },
          }),
        },
        key,
      );
      await response.text();
      return response.headers.get('mcp-session-id')!;
    },
    async mcpClient(key, transport = 'streamable') {
      const client = await connectOverHttp(server.url, key, transport);
      clients.add(client);
      client.onclose = () => clients.delete(client);
      return client;
    },
    async close() {
      await Promise.allSettled([...clients].map((client) => client.close()));
      await server.close();
      await app.close({ graceMs: 0 });
    },
  };
}
