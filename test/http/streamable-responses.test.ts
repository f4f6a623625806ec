import { request, Agent } from 'node:http';
import type { Socket } from 'node:net';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlledProvider } from '../support/controlled-provider.js';
import { startHostedServer, type HostedServer } from '../support/hosted-server.js';
import { DATABASES } from '../support/test-databases.js';
import { until } from '../support/until.js';

const FACTS = ['Dana keeps bees.', 'Dana lives in Porto.', 'Dana sails on weekends.', 'Dana is learning Korean.', 'Dana bakes sourdough.'];

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe.each(DATABASES)('Streamable HTTP responses on %s', (kind) => {
  let hosted: HostedServer;
  let provider: ControlledProvider;
  let key: string;
  /** Writes to the sockets of the server's connections, as the kernel sees them. */
  let socketWrites = 0;

  beforeAll(async () => {
    provider = new ControlledProvider();
    hosted = await startHostedServer(kind, { HTTP_RATE_LIMIT_PER_MINUTE: '100000' }, { provider });
    hosted.server.node.on('connection', (socket: Socket) => {
      const writable = socket as Socket & { _write: (...args: unknown[]) => void; _writev?: (...args: unknown[]) => void };
      const write = writable._write.bind(socket);
      writable._write = (...args) => ((socketWrites += 1), write(...args));
      const writev = writable._writev?.bind(socket);
      if (writev) writable._writev = (...args) => ((socketWrites += 1), writev(...args));
    });
    const user = await hosted.addUser('dana', FACTS);
    await hosted.app.engine.runner.request(user.id, 'manual').done;
    key = user.key;
  });
  afterAll(() => hosted.close());

  function post(agent: Agent, body: unknown, sessionId?: string): Promise<Answer> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${key}`,
      ...(sessionId ? { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' } : {}),
    };
    return new Promise((resolve, reject) => {
      const sent = request(`${hosted.server.url}/mcp`, { method: 'POST', agent, headers }, (response) => {
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
    const sessionId = await hosted.openRawSession(key);
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
    const client = await hosted.mcpClient(key);
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
  });

  it('leaves no session server or listener behind when the transport refuses a start', async () => {
    const initialize = {
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'refused', version: '0' } },
    };
    const listeners = () => hosted.app.engine.runner.listenerCount('finished') + hosted.app.engine.runner.listenerCount('started');
    const before = listeners();
    const statuses = new Set<number>();
    for (let start = 0; start < 1_000; start++) {
      // Half ask for neither JSON nor an event stream; half send a body that is not JSON.
      const refusesJson = start % 2 === 0;
      const response = await hosted.fetch(
        '/mcp',
        {
          method: 'POST',
          headers: refusesJson
            ? { 'content-type': 'application/json', accept: 'text/html' }
            : { 'content-type': 'text/plain', accept: 'application/json, text/event-stream' },
          body: JSON.stringify(initialize),
        },
        key,
      );
      await response.text();
      statuses.add(response.status);
    }
    expect([...statuses].sort()).toEqual([400, 406]);
    expect(listeners()).toBe(before);
    expect(await hosted.openRawSession(key)).toMatch(/^[0-9a-f-]{36}$/);
  });
});
