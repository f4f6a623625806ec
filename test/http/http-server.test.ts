import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/app.js';
import { startHttpServer, type RunningHttpServer } from '../../src/http/start-http-server.js';
import { ControlledProvider } from '../support/controlled-provider.js';
import { callTool, connectOverHttp, textOf } from '../support/mcp-test-client.js';
import { openTestApp } from '../support/test-app.js';
import { DATABASES } from '../support/test-databases.js';

const ALICE_FACTS = ['Alice is a violinist.', 'Alice lives in Vienna.', 'Alice has a cat named Mozart.', 'Alice teaches on Tuesdays.', 'Alice is writing a book about Bach.'];
const BOB_FACTS = ['Bob fixes old motorbikes.', 'Bob lives in Leeds.', 'Bob has three daughters.', 'Bob runs a podcast about rugby.', 'Bob is learning Welsh.'];

describe.each(DATABASES)('the HTTP server on %s', (kind) => {
  let app: App;
  let server: RunningHttpServer;
  let provider: ControlledProvider;
  const keys: Record<string, string> = {};
  const ids: Record<string, string> = {};

  async function addUser(name: string, facts: string[]): Promise<void> {
    const user = await app.repositories.users.getOrCreate(name);
    ids[name] = user.id;
    if (facts.length > 0) await app.engine.memories.add(user.id, facts.map((content) => ({ content })), 'test');
    keys[name] = (await app.repositories.apiKeys.create(user.id)).key;
  }

  function api(path: string, init: RequestInit & { key?: string | null } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (init.key !== null) headers.set('Authorization', `Bearer ${init.key ?? keys.alice}`);
    return fetch(`${server.url}${path}`, { ...init, headers });
  }

  function mcpClient(name: string, transport: 'streamable' | 'sse' = 'streamable'): Promise<Client> {
    return connectOverHttp(server.url, keys[name]!, transport, `${name}-client`);
  }

  beforeAll(async () => {
    provider = new ControlledProvider();
    app = await openTestApp(kind, { REGENERATE_PER_HOUR: '3', HTTP_RATE_LIMIT_PER_MINUTE: '1000', HTTP_MAX_BODY_BYTES: '4096' }, { provider });
    server = await startHttpServer(app, { host: '127.0.0.1', port: 0 });
    await addUser('alice', ALICE_FACTS);
    await addUser('bob', BOB_FACTS);
    await addUser('carol', ['Carol likes tea.']);
  });
  afterAll(async () => {
    await server.close();
    await app.close({ graceMs: 0 });
  });

  it('serves MCP over Streamable HTTP to a client with a key', async () => {
    const client = await mcpClient('alice');
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('orchestrate_smart_context');
    const found = await callTool(client, 'search_memories', { query: 'cat' });
    expect(textOf(found)).toContain('Mozart');
    await client.close();
  });

  it('serves MCP over the legacy SSE transport to a client with a key', async () => {
    const client = await mcpClient('bob', 'sse');
    const found = await callTool(client, 'search_memories', { query: 'motorbikes' });
    expect(textOf(found)).toContain('Bob fixes old motorbikes.');
    await client.close();
  });

  it('answers 401 with WWW-Authenticate without a key, with a bad key, and with a revoked key at once', async () => {
    for (const path of ['/mcp', '/sse', '/api/v1/memories']) {
      const response = await api(path, { key: null, method: path === '/mcp' ? 'POST' : 'GET' });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await response.json()).toMatchObject({ error: { code: 'unauthorized' } });
    }
    expect((await api('/api/v1/memories', { key: 'nmcp_not-a-real-key' })).status).toBe(401);
    const { key, row } = await app.repositories.apiKeys.create(ids.alice!);
    expect((await api('/api/v1/memories', { key })).status).toBe(200);
    await app.repositories.apiKeys.revoke(row.id);
    expect((await api('/api/v1/memories', { key })).status).toBe(401);
    await expect(mcpClient('nobody')).rejects.toThrow();
  });

  it('keeps each user to their own memories and narrative in every tool, resource and endpoint', async () => {
    const alice = await mcpClient('alice');
    const bob = await mcpClient('bob', 'sse');
    await app.engine.runner.request(ids.alice!, 'manual').done;
    await app.engine.runner.request(ids.bob!, 'manual').done;

    const aliceContext = await callTool(alice, 'orchestrate_smart_context', { user_message: 'Tell me about my cat' });
    const bobContext = await callTool(bob, 'orchestrate_smart_context', { user_message: 'Tell me about my cat', user_id: ids.alice });
    expect(textOf(aliceContext)).toContain('Alice has a cat named Mozart.');
    expect(textOf(bobContext)).not.toMatch(/Alice|Mozart|Vienna/);
    const bobResource = await bob.readResource({ uri: 'narrative://me' });
    expect(JSON.stringify(bobResource)).not.toMatch(/Alice|Mozart/);
    const bobList = await callTool(bob, 'list_memories', { limit: 100 });
    expect(JSON.stringify(bobList)).not.toContain('Alice');

    const aliceMemory = (await app.repositories.memories.recent(ids.alice!, { limit: 1 }))[0]!;
    const stolen = await callTool(bob, 'delete_memories', { ids: [aliceMemory.id] });
    expect(stolen.structuredContent).toMatchObject({ deleted: [], not_found: [aliceMemory.id] });
    expect((await api(`/api/v1/memories/${aliceMemory.id}`, { method: 'DELETE', key: keys.bob })).status).toBe(404);
    const overwritten = await callTool(bob, 'update_memories', { updates: [{ id: aliceMemory.id, content: 'Bob was here.' }] });
    expect(overwritten.structuredContent).toMatchObject({ updated: [], errors: [{ index: 0, id: aliceMemory.id, reason: 'not_found' }] });
    const patched = await api(`/api/v1/memories/${aliceMemory.id}`, {
      method: 'PATCH',
      key: keys.bob,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'Bob was here.' }),
    });
    expect(patched.status).toBe(404);
    expect(await app.repositories.memories.count(ids.alice!)).toBe(5);
    expect((await app.repositories.memories.findByIds(ids.alice!, [aliceMemory.id]))[0]!.content).toBe(aliceMemory.content);

    const bobNarrative = (await (await api('/api/v1/memories/narrative', { key: keys.bob })).json()) as { narrative: string };
    expect(bobNarrative.narrative).toContain('Bob');
    expect(bobNarrative.narrative).not.toContain('Alice');
    await alice.close();
    await bob.close();
  });

  it("refuses a Streamable HTTP session opened by another user's key", async () => {
    const alice = await mcpClient('alice');
    const sessionId = (alice.transport as StreamableHTTPClientTransport).sessionId!;
    const response = await api('/mcp', {
      key: keys.bob,
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_memories', arguments: {} } }),
    });
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain('Alice');
    await alice.close();
  });

  it('answers 204 for an eligible user without a narrative, schedules it, then 200 once written', async () => {
    const dora = await app.repositories.users.getOrCreate('dora');
    await app.engine.memories.add(dora.id, ['Dora sails.', 'Dora bakes bread.', 'Dora is a pilot.', 'Dora lives in Oslo.', 'Dora sings.'].map((content) => ({ content })), 'test');
    const key = (await app.repositories.apiKeys.create(dora.id)).key;
    const first = await api('/api/v1/memories/narrative', { key });
    expect(first.status).toBe(204);
    expect(await first.text()).toBe('');
    await app.engine.runner.onIdle();
    const second = await api('/api/v1/memories/narrative', { key });
    expect(second.status).toBe(200);
    expect(await second.json()).toMatchObject({ version: 1, stale: false, stale_reasons: [], narrative: expect.stringContaining('Dora sails.') });
  });

  it('regenerates with 202, reports status, and answers 409 for a user below the minimum', async () => {
    const regenerate = await api('/api/v1/memories/narrative/regenerate', { method: 'POST' });
    expect(regenerate.status).toBe(202);
    expect(await regenerate.json()).toMatchObject({ state: expect.stringMatching(/queued|running/) });
    await app.engine.runner.onIdle();
    const status = await (await api('/api/v1/memories/narrative/status')).json();
    expect(status).toMatchObject({ eligible: true, job: 'idle', narrative: { state: 'fresh' } });
    const carol = await api('/api/v1/memories/narrative/regenerate', { method: 'POST', key: keys.carol });
    expect(carol.status).toBe(409);
    expect(await carol.json()).toMatchObject({ error: { code: 'not_eligible' } });
    expect((await api('/api/v1/memories/narrative', { key: keys.carol })).status).toBe(204);
  });

  it('answers 429 with Retry-After once regenerations are used up', async () => {
    let response: Response;
    do {
      response = await api('/api/v1/memories/narrative/regenerate', { method: 'POST', key: keys.bob });
      await app.engine.runner.onIdle();
    } while (response.status === 202);
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await response.json()).toMatchObject({ error: { code: 'rate_limited' } });
  });

  it('lists, adds and deletes memories over REST, with a stable error shape', async () => {
    const added = await api('/api/v1/memories', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ memories: [{ content: 'Alice started learning the viola.' }] }),
    });
    expect(added.status).toBe(201);
    const page = (await (await api('/api/v1/memories?limit=2')).json()) as { memories: { id: string; content: string }[]; next_cursor: string };
    expect(page.memories[0]!.content).toBe('Alice started learning the viola.');
    expect(page.next_cursor).toEqual(expect.any(String));
    const next = (await (await api(`/api/v1/memories?limit=100&cursor=${page.next_cursor}`)).json()) as { memories: unknown[] };
    expect(next.memories.length).toBeGreaterThan(0);
    const removed = await api(`/api/v1/memories/${page.memories[0]!.id}`, { method: 'DELETE' });
    expect(await removed.json()).toEqual({ deleted: page.memories[0]!.id, narrative_regenerating: false });

    const cases: Array<[RequestInit, number, string]> = [
      [{ method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"memories": [' }, 400, 'invalid_json'],
      [{ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ memories: [{ content: '' }] }) }, 400, 'invalid_request'],
      [{ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ memories: [{ content: 'x'.repeat(5000) }] }) }, 413, 'too_large'],
    ];
    for (const [init, status, code] of cases) {
      const response = await api('/api/v1/memories', init);
      expect(response.status).toBe(status);
      const body = await response.text();
      expect(JSON.parse(body)).toMatchObject({ error: { code, message: expect.any(String) } });
      expect(body).not.toMatch(/at .*\.(ts|js):\d+/);
    }
    expect((await api('/api/v1/memories?limit=0')).status).toBe(400);
    expect((await api('/api/v1/memories?cursor=garbage')).status).toBe(400);
    expect((await api('/api/v1/memories/not-a-uuid', { method: 'DELETE' })).status).toBe(404);
    expect((await api('/api/v1/nothing-here')).status).toBe(404);
  });

  it('corrects a memory with PATCH, and answers 404, 400 and 409 in the stable error shape', async () => {
    const patch = (id: string, body: unknown, key?: string) =>
      api(`/api/v1/memories/${id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
        ...(key ? { key } : {}),
      });
    const [memory, other] = await app.repositories.memories.recent(ids.alice!, { limit: 2 });

    const response = await patch(memory!.id, { content: 'Alice now lives in Salzburg.', metadata: { moved: true } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { memory: { updated_at: string } };
    expect(body).toEqual({
      memory: {
        id: memory!.id,
        content: 'Alice now lives in Salzburg.',
        created_at: memory!.created_at.toISOString(),
        updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        expires_at: null,
        metadata: { moved: true },
      },
      narrative_regenerating: true,
    });
    const listed = (await (await api('/api/v1/memories?limit=100')).json()) as { memories: { id: string; updated_at: string | null }[] };
    expect(listed.memories.find((item) => item.id === memory!.id)?.updated_at).toBe(body.memory.updated_at);
    expect(listed.memories.find((item) => item.id === other!.id)?.updated_at).toBeNull();
    await app.engine.runner.onIdle();

    const [gone] = (await app.engine.memories.add(ids.alice!, [{ content: 'Alice lost her umbrella.' }], 'test')).added;
    await app.engine.memories.delete(ids.alice!, [gone!.id]);
    const cases: Array<[string, unknown, number, string]> = [
      [memory!.id, { content: 'Bob was here.' }, 404, 'not_found'],
      ['00000000-0000-4000-8000-000000000000', { content: 'Nobody.' }, 404, 'not_found'],
      ['not-a-uuid', { content: 'Nobody.' }, 404, 'not_found'],
      [gone!.id, { content: 'Alice found her umbrella.' }, 404, 'not_found'],
      [memory!.id, {}, 400, 'invalid_request'],
      [memory!.id, { content: '  ' }, 400, 'invalid_request'],
      [memory!.id, { metadata: [1] }, 400, 'invalid_request'],
      [memory!.id, { expires_at: 'tomorrow' }, 400, 'invalid_request'],
      [memory!.id, { ttl_days: 0 }, 400, 'invalid_request'],
      [memory!.id, [{ content: 'A list.' }], 400, 'invalid_request'],
      [memory!.id, '{"content": ', 400, 'invalid_json'],
      [memory!.id, { content: other!.content.toUpperCase() }, 409, 'duplicate'],
    ];
    for (const [id, requestBody, status, code] of cases) {
      const refused = await patch(id, requestBody, id === memory!.id && status === 404 ? keys.bob : undefined);
      expect(refused.status, JSON.stringify(requestBody)).toBe(status);
      const text = await refused.text();
      expect(JSON.parse(text)).toEqual({ error: { code, message: expect.any(String) } });
      expect(text).not.toMatch(/at .*\.(ts|js):\d+/);
    }
    const [after] = await app.repositories.memories.findByIds(ids.alice!, [memory!.id]);
    expect(after).toMatchObject({ content: 'Alice now lives in Salzburg.', metadata: { moved: true } });

    const expiring = (await (await patch(memory!.id, { ttl_days: 30 })).json()) as { memory: { expires_at: string | null } };
    expect(Date.parse(expiring.memory.expires_at!)).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    expect(((await (await patch(memory!.id, { expires_at: null })).json()) as { memory: { expires_at: string | null } }).memory.expires_at).toBeNull();
  });

  it('adds memories that expire over REST, and refuses a past expiry or both ways at once with 400, storing none', async () => {
    const post = (memories: unknown[]) =>
      api('/api/v1/memories', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ memories }) });
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const added = await post([{ content: 'Carol is in Bergen until Friday.', expires_at: expiresAt }, { content: 'Carol has a sore knee.', ttl_days: 3 }]);
    expect(added.status).toBe(201);
    const body = (await added.json()) as { added: { expires_at: string | null }[] };
    expect(body.added[0]!.expires_at).toBe(expiresAt);
    expect(Date.parse(body.added[1]!.expires_at!)).toBeGreaterThan(Date.now() + 2 * 86_400_000);

    const before = await app.repositories.memories.count(ids.alice!);
    for (const memories of [
      [{ content: 'Fine.' }, { content: 'Gone.', expires_at: '2020-01-01T00:00:00Z' }],
      [{ content: 'Fine.' }, { content: 'Both.', expires_at: expiresAt, ttl_days: 1 }],
      [{ content: 'Fine.' }, { content: 'Never.', ttl_days: -1 }],
      [{ content: 'Fine.' }, { content: 'Whenever.', expires_at: 'next week' }],
    ]) {
      const refused = await post(memories);
      expect(refused.status, JSON.stringify(memories)).toBe(400);
      expect(await refused.json()).toEqual({ error: { code: 'invalid_request', message: expect.stringContaining('memories.1') } });
    }
    expect(await app.repositories.memories.count(ids.alice!)).toBe(before);
  });

  it('refuses a foreign Origin or Host', async () => {
    const origin = await api('/api/v1/memories', { headers: { Origin: 'https://evil.example' } });
    expect(origin.status).toBe(403);
    const own = await api('/api/v1/memories', { headers: { Origin: server.url.replace('127.0.0.1', 'localhost') } });
    expect(own.status).toBe(200);
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${server.url}/healthz`);
      request({ host: url.hostname, port: url.port, path: '/healthz', headers: { Host: 'evil.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(403);
  });

  it('reports health and Prometheus metrics', async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok', database: kind, worker: null });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('narrative_context_requests_total{source="cache"}');
    expect(metrics).toContain('narrative_generations_total');
    expect(metrics).toContain('narrative_queue_depth');
    expect(metrics).toContain('narrative_generation_duration_seconds_bucket');
    expect(metrics).toMatch(/narrative_http_requests_total\{method="GET",route="\/api\/v1\/memories",status="200"\}/);
  });
});
