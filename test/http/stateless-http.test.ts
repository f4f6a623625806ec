import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION, type CallToolResult, type Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlledProvider } from '../support/controlled-provider.js';
import { startHostedServer, type HostedServer, type HostedUser } from '../support/hosted-server.js';
import { DATABASES } from '../support/test-databases.js';
import { until } from '../support/until.js';

const FACTS = ['Dana keeps bees.', 'Dana lives in Porto.', 'Dana sails on weekends.', 'Dana is learning Korean.', 'Dana bakes sourdough.'];

describe.each(DATABASES)('Streamable HTTP without sessions (HTTP_SESSIONS=stateless) on %s', (kind) => {
  let hosted: HostedServer;
  let provider: ControlledProvider;
  let dana: HostedUser;

  beforeAll(async () => {
    provider = new ControlledProvider();
    hosted = await startHostedServer(kind, { HTTP_SESSIONS: 'stateless', HTTP_RATE_LIMIT_PER_MINUTE: '100000' }, { provider });
    dana = await hosted.addUser('dana', FACTS);
    await hosted.app.engine.runner.request(dana.id, 'manual').done;
  });
  afterAll(() => hosted.close());

  it('serves the SDK client without a session: every request stands alone, for the owner of its key', async () => {
    const client = await hosted.mcpClient(dana.key);
    expect((client.transport as StreamableHTTPClientTransport).sessionId).toBeUndefined();
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('orchestrate_smart_context');
    const answer = (await client.callTool({ name: 'orchestrate_smart_context', arguments: { user_message: 'bees' } })) as CallToolResult;
    expect(answer.structuredContent).toMatchObject({ source: 'cache' });

    const other = await hosted.addUser('eli');
    const eli = await hosted.mcpClient(other.key);
    await eli.callTool({ name: 'add_memories', arguments: { memories: [{ content: 'Eli plays the oboe.' }] } });
    const eliSees = (await eli.callTool({ name: 'search_memories', arguments: { query: 'bees oboe' } })) as CallToolResult;
    expect(JSON.stringify(eliSees.structuredContent)).toContain('oboe');
    expect(JSON.stringify(eliSees.structuredContent)).not.toContain('bees');
  });

  it('answers a tools/call POST that no initialize came before, and names no session', async () => {
    const response = await hosted.fetch(
      '/mcp',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': LATEST_PROTOCOL_VERSION },
        body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'orchestrate_smart_context', arguments: { user_message: 'bees' } } }),
      },
      dana.key,
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('mcp-session-id')).toBeNull();
    const body = await response.text();
    expect(body).toContain('"id":7');
    expect(body).toContain('"source":"cache"');
  });

  it("still streams a call its progress, on that call's own response", async () => {
    const client = await hosted.mcpClient(dana.key);
    const progress: Progress[] = [];
    provider.hold();
    const result = client.callTool({ name: 'regenerate_narrative', arguments: { wait: true } }, undefined, {
      onprogress: (update) => progress.push(update),
    });
    await until(() => provider.waiting === 1 && progress.length === 2);
    provider.release();
    expect(((await result) as CallToolResult).structuredContent).toMatchObject({ state: 'completed' });
    expect(progress.at(-1)?.message).toMatch(/^version \d+ written$/);
  });

  it('leaves nothing behind a request', async () => {
    const listeners = () => hosted.app.engine.runner.listenerCount('finished') + hosted.app.engine.runner.listenerCount('started');
    const client = await hosted.mcpClient(dana.key);
    await client.callTool({ name: 'narrative_status', arguments: {} });
    const before = listeners();
    for (let call = 0; call < 200; call++) await client.callTool({ name: 'narrative_status', arguments: {} });
    await until(() => listeners() === before);
    expect(listeners()).toBe(before);
  });

  it('answers each user on servers that acted for them alone, request after request', async () => {
    const eve = await hosted.addUser('eve', ['Eve restores clocks.']);
    const clients = [await hosted.mcpClient(dana.key), await hosted.mcpClient(eve.key)];
    for (let round = 0; round < 20; round++) {
      const [forDana, forEve] = await Promise.all(
        clients.map(async (client) => JSON.stringify(((await client.callTool({ name: 'search_memories', arguments: { query: 'bees clocks' } })) as CallToolResult).structuredContent)),
      );
      expect(forDana).toContain('bees');
      expect(forDana).not.toContain('clocks');
      expect(forEve).toContain('clocks');
      expect(forEve).not.toContain('bees');
    }
  });

  it('offers no resource subscriptions, which would need a session to be notified on', async () => {
    const client = await hosted.mcpClient(dana.key);
    expect(client.getServerCapabilities()?.resources?.subscribe).toBeFalsy();
    expect((await client.listResources()).resources.map((resource) => resource.uri)).toContain('narrative://me');
  });

  it('answers what needs a session with a clear refusal', async () => {
    const stream = await hosted.fetch('/mcp', { headers: { accept: 'text/event-stream' } }, dana.key);
    expect(stream.status).toBe(405);
    expect(stream.headers.get('allow')).toBe('POST');
    expect(((await stream.json()) as { error: { message: string } }).error.message).toContain('send every request as a POST');
    const sse = await hosted.fetch('/sse', {}, dana.key);
    expect(sse.status).toBe(404);
    expect(await sse.text()).toContain('use Streamable HTTP at /mcp');
  });
});
