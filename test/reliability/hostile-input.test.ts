import { connect } from 'node:net';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlledProvider } from '../support/controlled-provider.js';
import { hostile } from '../support/hostile-values.js';
import { startHostedServer, type HostedServer, type HostedUser } from '../support/hosted-server.js';
import { internalsIn } from '../support/internals-in.js';
import { reliabilityRuns } from '../support/reliability-runs.js';
import { DATABASES } from '../support/test-databases.js';

const RUNS = reliabilityRuns(25);
const TOOLS = [
  'orchestrate_smart_context',
  'add_memories',
  'search_memories',
  'list_memories',
  'update_memories',
  'delete_memories',
  'regenerate_narrative',
  'narrative_status',
] as const;
const ARGUMENT_NAMES = ['user_message', 'is_new_conversation', 'memories', 'query', 'limit', 'cursor', 'ids', 'updates', 'wait', 'user_id', 'content'];
const VICTIM_SECRET = 'zephyrine';
const VICTIM_FACTS = [
  `The victim's password hint is ${VICTIM_SECRET}.`,
  'The victim lives in Lisbon.',
  'The victim keeps bees.',
  'The victim plays the oboe.',
  'The victim is allergic to shellfish.',
];

/** Arguments shaped like each tool's, and unlike them, carrying hostile values. */
const toolArguments: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.dictionary(fc.oneof(fc.constantFrom(...ARGUMENT_NAMES), hostile.string), hostile.json, { maxKeys: 4 }),
  fc.record({ user_message: hostile.string, is_new_conversation: fc.oneof(fc.boolean(), hostile.json) }, { requiredKeys: ['user_message'] }),
  fc.record({ memories: fc.array(fc.record({ content: hostile.string, metadata: fc.oneof(hostile.json, hostile.deep) }, { requiredKeys: ['content'] }), { maxLength: 3 }) }),
  fc.record({ query: hostile.string, limit: fc.oneof(fc.integer({ min: -5, max: 100 }), hostile.json) }, { requiredKeys: ['query'] }),
  fc.record({ cursor: hostile.string, limit: fc.integer({ min: -1, max: 200 }) }, { requiredKeys: [] }),
  fc.record({ ids: fc.array(fc.oneof(fc.uuid(), hostile.string), { maxLength: 5 }) }),
  fc.record({
    updates: fc.array(
      fc.record({ id: fc.oneof(fc.uuid(), hostile.string), content: hostile.string, metadata: fc.oneof(hostile.json, hostile.deep) }, { requiredKeys: ['id'] }),
      { maxLength: 3 },
    ),
  }),
  fc.record({ wait: fc.oneof(fc.boolean(), hostile.json) }),
);

/** Text nested `depth` levels deep, written out directly (no recursive serializer needed). */
const deepText = fc.integer({ min: 1_000, max: 200_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth));

/** Bytes that are not UTF-8: stray continuation bytes, overlong forms, truncated sequences. */
const invalidUtf8 = fc.uint8Array({ minLength: 1, maxLength: 16 }).map((bytes) => Buffer.from(bytes.map((byte) => 0x80 | byte)));

const jsonRpcMessage = fc.record(
  {
    jsonrpc: fc.oneof(fc.constant('2.0'), hostile.json),
    id: fc.oneof(fc.integer(), fc.string(), fc.constant(null), hostile.json),
    method: fc.oneof(
      fc.constantFrom('tools/call', 'tools/list', 'resources/read', 'resources/subscribe', 'prompts/get', 'initialize', 'ping', 'logging/setLevel', 'notifications/initialized', 'completion/complete'),
      hostile.string,
    ),
    params: fc.oneof(hostile.json, fc.record({ name: fc.oneof(fc.constantFrom(...TOOLS), hostile.string), arguments: fc.oneof(toolArguments, hostile.json) })),
  },
  { requiredKeys: [] },
);

/** Request bodies for the JSON endpoints: garbage, random JSON, JSON-RPC gone wrong, deep nesting, batches, broken UTF-8. */
const body: fc.Arbitrary<string | Buffer> = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.json(),
  jsonRpcMessage.map((message) => JSON.stringify(message)),
  fc.array(jsonRpcMessage, { minLength: 1, maxLength: 150 }).map((batch) => JSON.stringify(batch)),
  deepText,
  deepText.map((deep) => `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add_memories","arguments":{"memories":[{"content":"deep","metadata":{"a":${deep}}}]}}}`),
  deepText.map((deep) => `{"memories":[{"content":"deep","metadata":{"a":${deep}}}]}`),
  invalidUtf8.map((bytes) =>
    Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_memories","arguments":{"query":"'), bytes, Buffer.from('"}}}')]),
  ),
  invalidUtf8.map((bytes) => Buffer.concat([Buffer.from('{"memories":[{"content":"'), bytes, Buffer.from('"}]}')])),
);

const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/json; charset=utf-16', 'application/x-www-form-urlencoded', undefined);

/** Every string inside a value (iteratively, bounded), so a response may quote them back. */
function stringsIn(value: unknown, limit = 10_000): string[] {
  const found: string[] = [];
  const pending = [value];
  for (let seen = 0; pending.length > 0 && seen < limit; seen++) {
    const next = pending.pop();
    if (typeof next === 'string') found.push(next);
    else if (next && typeof next === 'object') {
      for (const [key, item] of Object.entries(next)) {
        found.push(key);
        pending.push(item);
      }
    }
  }
  return found;
}

function responseText(outcome: unknown): string {
  return outcome instanceof Error ? outcome.message : JSON.stringify(outcome);
}

describe.each(DATABASES)('hostile input on %s', (kind) => {
  let hosted: HostedServer;
  let attacker: HostedUser;
  let victim: HostedUser;
  let client: Client;
  let sessionId: string;
  let cases = 0;

  beforeAll(async () => {
    hosted = await startHostedServer(
      kind,
      { HTTP_RATE_LIMIT_PER_MINUTE: '1000000', REGENERATE_PER_HOUR: '10000', HTTP_MAX_BODY_BYTES: '1048576' },
      { provider: new ControlledProvider() },
    );
    victim = await hosted.addUser('victim', VICTIM_FACTS);
    attacker = await hosted.addUser('attacker', ['The attacker collects stamps.', 'The attacker lives in Oslo.', 'The attacker rides a unicycle.', 'The attacker owns a parrot.', 'The attacker studies law.']);
    await hosted.app.engine.runner.request(victim.id, 'manual').done;
    client = await hosted.mcpClient(attacker.key);
    sessionId = await hosted.openRawSession(attacker.key);
  });
  afterAll(async () => {
    console.info(`hostile-input on ${kind}: ${cases} hostile requests`);
    await hosted.close();
  });

  function expectClean(text: string, echoes: readonly string[]): void {
    cases += 1;
    expect(internalsIn(text, echoes)).toBeUndefined();
    expect(text).not.toContain(VICTIM_SECRET);
  }

  it('answers every tool called with hostile arguments with a result or an error naming the problem, never internals', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...TOOLS), toolArguments, async (tool, args) => {
        const outcome = await client.callTool({ name: tool, arguments: { ...args } }).catch((error: unknown) => error);
        expectClean(responseText(outcome), stringsIn(args));
      }),
      { numRuns: RUNS * 4 },
    );
  });

  it('answers malformed JSON-RPC over Streamable HTTP with a protocol error, never a 5xx or internals', async () => {
    await fc.assert(
      fc.asyncProperty(
        body,
        fc.constantFrom('valid', 'unknown', 'none'),
        contentType,
        fc.constantFrom('application/json, text/event-stream', 'text/html', undefined),
        fc.constantFrom('POST', 'GET', 'DELETE'),
        async (payload, session, type, accept, method) => {
          // DELETE with the valid session would end it for the runs after this one.
          const id = session === 'valid' && method !== 'DELETE' ? sessionId : session === 'unknown' ? crypto.randomUUID() : undefined;
          const headers: Record<string, string> = { 'mcp-protocol-version': '2025-06-18' };
          if (type) headers['content-type'] = type;
          if (accept) headers.accept = accept;
          if (id) headers['mcp-session-id'] = id;
          const response = await hosted.fetch('/mcp', { method, headers, ...(method === 'POST' ? { body: payload } : {}) }, attacker.key);
          const text = method === 'GET' && response.status === 200 ? (await response.body?.cancel(), '') : await response.text();
          expect(response.status).toBeLessThan(500);
          expectClean(text, [typeof payload === 'string' ? payload : payload.toString('utf8')]);
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it('answers hostile requests to every REST endpoint with the JSON error shape, never a 5xx or internals', async () => {
    const path = fc.oneof(
      fc.constantFrom('/api/v1/memories', '/api/v1/memories/narrative', '/api/v1/memories/narrative/regenerate', '/api/v1/memories/narrative/status', '/api', '/api/v2/memories', '/healthz', '/metrics', '/'),
      fc.oneof(hostile.string, fc.uuid()).map((segment) => `/api/v1/memories/${encodeURIComponent(segment.toWellFormed()).slice(0, 2_000)}`),
      fc.webPath().map((rest) => `/api/v1${rest}`),
    );
    const query = fc.dictionary(fc.constantFrom('limit', 'cursor', 'sessionId', 'x'), fc.oneof(hostile.string, fc.array(fc.string(), { maxLength: 3 })), { maxKeys: 3 });
    await fc.assert(
      fc.asyncProperty(path, query, fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'), body, contentType, async (route, params, method, payload, type) => {
        const search = new URLSearchParams();
        for (const [name, value] of Object.entries(params)) for (const item of [value].flat()) search.append(name, item.slice(0, 2_000));
        const url = `${route}${search.size > 0 ? `?${search.toString()}` : ''}`;
        const withBody = method !== 'GET' && method !== 'HEAD';
        const response = await hosted.fetch(url, { method, headers: type ? { 'content-type': type } : {}, ...(withBody ? { body: payload } : {}) }, attacker.key);
        const text = await response.text();
        expect(response.status).toBeLessThan(500);
        expectClean(text, [...Object.values(params).flat(), route, typeof payload === 'string' ? payload : payload.toString('utf8')]);
        if (route.startsWith('/api') && response.status >= 400 && method !== 'HEAD') {
          expect(JSON.parse(text)).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
        }
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it('refuses any malformed or foreign Authorization header with 401 (or 4xx for an unreadable request), never a 5xx', async () => {
    const header = fc.oneof(
      fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 300 }),
      fc.string({ maxLength: 100 }).map((text) => `Bearer ${text}`),
      fc.integer({ min: 1_000, max: 12_000 }).map((length) => `Bearer nmcp_${'a'.repeat(length)}`),
      fc.constantFrom(`Bearer  ${attacker.key}x`, `Basic ${Buffer.from('a:b').toString('base64')}`, 'Bearer', 'Bearer nmcp_', `bearer ${victim.key.slice(0, -1)}`),
    );
    await fc.assert(
      fc.asyncProperty(header, fc.constantFrom('/api/v1/memories', '/mcp', '/sse', '/messages?sessionId=x'), async (authorization, route) => {
        const status = await rawRequest(hosted.server.url, `GET ${route} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${authorization}\r\nConnection: close\r\n\r\n`);
        expect(status.code).toBeGreaterThanOrEqual(400);
        expect(status.code).toBeLessThan(500);
        expectClean(status.text, [authorization]);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('answers requests a browser cannot send (bad percent-encoding, raw bytes, huge headers) without a 5xx', async () => {
    const target = fc.oneof(
      fc.constantFrom('/api/v1/memories/%E0%A4%A', '/api/v1/memories/%', '/api/v1/memories/%00', '/%2e%2e/%2e%2e/etc/passwd', '/api/v1/memories?limit=%FF%FE', '/mcp?%'),
      fc.uint8Array({ minLength: 1, maxLength: 30 }).map((bytes) => `/api/v1/memories/${Buffer.from(bytes.map((byte) => (byte < 0x21 || byte === 0x7f ? 0x41 : byte))).toString('latin1')}`),
    );
    const extraHeader = fc.oneof(
      fc.constant(''),
      fc.integer({ min: 20_000, max: 70_000 }).map((length) => `X-Padding: ${'p'.repeat(length)}\r\n`),
      fc.constantFrom('Content-Length: -1\r\n', 'Transfer-Encoding: chunked\r\n', 'Content-Type: application/json; charset=\u00ff\r\n', 'Mcp-Session-Id: \u00e9\u00e9\r\n'),
    );
    await fc.assert(
      fc.asyncProperty(target, extraHeader, fc.constantFrom('GET', 'POST', 'DELETE'), async (path, extra, method) => {
        const request = `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${attacker.key}\r\n${extra}Connection: close\r\n\r\n`;
        const status = await rawRequest(hosted.server.url, request);
        expect(status.code).toBeLessThan(500);
        expectClean(status.text, [path]);
      }),
      { numRuns: RUNS },
    );
  });

  it('answers hostile messages on the legacy SSE transport without internals on the event stream', async () => {
    const stream = await hosted.fetch('/sse', { headers: { accept: 'text/event-stream' } }, attacker.key);
    const reader = stream.body!.getReader();
    let events = '';
    const reading = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        events += Buffer.from(value).toString('utf8');
      }
    })().catch(() => undefined);
    await expect.poll(() => /sessionId=([\w-]+)/.exec(events)?.[1]).toBeDefined();
    const sseSession = /sessionId=([\w-]+)/.exec(events)![1]!;
    const sent: string[] = [];
    await fc.assert(
      fc.asyncProperty(body, fc.boolean(), async (payload, ownSession) => {
        const id = ownSession ? sseSession : crypto.randomUUID();
        const response = await hosted.fetch(`/messages?sessionId=${id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload }, attacker.key);
        const text = await response.text();
        sent.push(typeof payload === 'string' ? payload : payload.toString('utf8'));
        expect(response.status).toBeLessThan(500);
        expectClean(text, sent.slice(-1));
      }),
      { numRuns: RUNS * 2 },
    );
    await reader.cancel();
    await reading;
    expectClean(events, sent);
  });

  it('refuses at once, with a message, the inputs that used to reach the database or stall the server', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const post = (body: string) => hosted.fetch('/api/v1/memories', { method: 'POST', headers: { 'content-type': 'application/json' }, body }, attacker.key);
    for (const [metadata, message] of [
      [`{"a":${deep}}`, 'nested deeper than 32 levels'],
      ['{"a":"\\ud800"}', 'not valid Unicode'],
      ['{"\\udfff":"a"}', 'not valid Unicode'],
      ['{"a":["\\u0000"]}', 'NUL character'],
    ]) {
      const response = await post(`{"memories":[{"content":"An ordinary fact.","metadata":${metadata}}]}`);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 'invalid_request', message: expect.stringContaining(message!) } });
    }
    const context = await client.callTool({ name: 'orchestrate_smart_context', arguments: { user_message: 'my\u0000parrot' } });
    expect(context.isError).toBeFalsy();

    // The SDK answers an unreadable SSE message by quoting it, which takes quadratic time for nested arrays.
    const stream = await hosted.fetch('/sse', {}, attacker.key);
    const reader = stream.body!.getReader();
    const { value } = await reader.read();
    const sseSession = /sessionId=([\w-]+)/.exec(Buffer.from(value).toString('utf8'))![1]!;
    const refused = await hosted.fetch(`/messages?sessionId=${sseSession}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: deep }, attacker.key);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { message: 'The body is not a JSON-RPC message.' } });
    expect((await hosted.fetch('/healthz')).status).toBe(200);
    await reader.cancel();
  });

  it('keeps the victim untouched and the server healthy after all of it, with no 5xx counted', async () => {
    expect(await hosted.app.repositories.memories.count(victim.id)).toBe(VICTIM_FACTS.length);
    expect((await hosted.app.repositories.narratives.get(victim.id))?.narrative_content).toContain(VICTIM_SECRET);
    expect((await hosted.fetch('/healthz')).status).toBe(200);
    const answer = await client.callTool({ name: 'search_memories', arguments: { query: 'parrot' } });
    expect(JSON.stringify(answer)).toContain('The attacker owns a parrot.');
    const metrics = await (await hosted.fetch('/metrics')).text();
    expect(metrics).not.toMatch(/narrative_http_requests_total\{[^}]*status="5\d\d"\}/);
  });
});

/** Sends bytes as they are (no client-side checks) and reads the status line and body of the answer. */
function rawRequest(url: string, request: string): Promise<{ code: number; text: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? finish() : reject(error)));
    socket.on('close', finish);
    socket.end(Buffer.from(request, 'latin1'));
    function finish() {
      const code = Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1]);
      // A connection closed without an answer is the HTTP parser refusing garbage, not a server error.
      resolve({ code: Number.isNaN(code) ? 400 : code, text: answer });
    }
  });
}

describe('hostile input for a user searched in SQL (more memories than the hot tier holds per user)', () => {
  let hosted: HostedServer;
  let client: Client;

  beforeAll(async () => {
    hosted = await startHostedServer('pglite', { HOT_TIER_MAX_USER_MEMORIES: '1' }, { provider: new ControlledProvider() });
    const user = await hosted.addUser('large', ['The large user keeps a parrot.', 'The large user rows.', 'The large user sings.']);
    client = await hosted.mcpClient(user.key);
  });
  afterAll(() => hosted.close());

  it('answers a conversation start whose message holds a NUL', async () => {
    const answer = await client.callTool({ name: 'orchestrate_smart_context', arguments: { user_message: 'my\u0000parrot' } });
    expect(answer.isError).toBeFalsy();
  });

  // PostgreSQL refuses NUL in text: the SQL search parts words at it, as the in-process index does.
  it('answers a search whose query holds a NUL', async () => {
    const answer = await client.callTool({ name: 'search_memories', arguments: { query: 'par\u0000rot' } });
    expect(answer.isError).toBeFalsy();
    const found = await client.callTool({ name: 'search_memories', arguments: { query: 'a\u0000parrot' } });
    expect(found.structuredContent).toMatchObject({ results: [{ content: 'The large user keeps a parrot.' }] });
  });
});
