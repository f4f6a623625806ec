import { createServer, request, Agent, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/app.js';
import { createHttpApp, type HttpApp } from '../../src/http/create-http-app.js';
import { ControlledProvider } from '../support/controlled-provider.js';
import { openTestApp } from '../support/test-app.js';
import { DATABASES } from '../support/test-databases.js';
import { until } from '../support/until.js';

const FACTS = ['Dana keeps bees.', 'Dana lives in Porto.', 'Dana sails on weekends.', 'Dana is learning Korean.', 'Dana bakes sourdough.'];

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe.each(DATABASES)('Streamable HTTP responses on %s', (kind) => {
  let app: App;
  let http: HttpApp;
  let server: Server;
  let url: string;
  let provider: ControlledProvider;
  let key: string;
  /** Writes to the sockets of the server's connections, as the kernel sees them. */
  let socketWrites = 0;

  beforeAll(async () => {
    provider = new ControlledProvider();
    app = await openTestApp(kind, { HTTP_RATE_LIMIT_PER_MINUTE: '100000' }, { provider });
    http = createHttpApp(app, () => (server.address() as AddressInfo).port);
    server = createServer(http.express);
    server.on('connection', (socket: Socket) => {
      const writable = socket as Socket & { _write: (...args: unknown[]) => void; _writev?: (...args: unknown[]) => void };
      const write = writable._write.bind(socket);
      writable._write = (...args) => ((socketWrites += 1), write(...args));
      const writev = writable._writev?.bind(socket);
      if (writev) writable._writev = (...args) => ((socketWrites += 1), writev(...args));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const user = await app.repositories.users.getOrCreate('dana');
    await app.engine.memories.add(user.id, FACTS.map((content) => ({ content })), 'test');
    await app.engine.runner.request(user.id, 'manual').done;
    key = (await app.repositories.apiKeys.create(user.id)).key;
  });
  afterAll(async () => {
    await http.closeSessions();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await app.close({ graceMs: 0 });
  });

  function post(agent: Agent, body: unknown, sessionId?: string): Promise<Answer> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${key}`,
      ...(sessionId ? { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' } : {}),
    };
    return new Promise((resolve, reject) => {
      const sent = request(`${url}/mcp`, { method: 'POST', agent, headers }, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
      });
      sent.on('error', reject);
      sent.end(JSON.stringify(body));
    });
  }

  it('sends a conversation start that is answered at once in a single socket write', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const initialized = await post(agent, {
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
    });
    const sessionId = String(initialized.headers['mcp-session-id']);
    await post(agent, { jsonrpc: '2.0', method: 'notifications/initialized' }, sessionId);
    const call = (id: number) =>
      post(agent, { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'orchestrate_smart_context', arguments: { user_message: 'Any news about the bees?' } } }, sessionId);
    // The first call reads the user and the key; the next ones are what a hit costs.
    await call(1);
    for (let id = 2; id < 5; id++) {
      const before = socketWrites;
      const answer = await call(id);
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('text/event-stream');
      expect(answer.body).toContain('"source":"cache"');
      expect(socketWrites - before).toBe(1);
    }
    agent.destroy();
  });

  it('streams progress notifications while a tool is still working', async () => {
    const client = new Client({ name: 'progress-test', version: '0.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${key}` } } }));
    const progress: Progress[] = [];
    provider.hold();
    const result = client.callTool({ name: 'regenerate_narrative', arguments: { wait: true } }, undefined, {
      onprogress: (update) => progress.push(update),
    });
    await until(() => provider.waiting === 1 && progress.length === 2);
    expect(progress.map((update) => update.message)).toEqual(['queued', 'writing the narrative']);
    provider.release();
    expect(((await result) as CallToolResult).structuredContent).toEqual({ state: 'completed', version: 2 });
    expect(progress.map((update) => update.message)).toEqual(['queued', 'writing the narrative', 'version 2 written']);
    await client.close();
  });
});
