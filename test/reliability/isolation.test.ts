import { Writable } from 'node:stream';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlledProvider } from '../support/controlled-provider.js';
import { startHostedServer, type HostedServer, type HostedUser } from '../support/hosted-server.js';
import { reliabilityRuns } from '../support/reliability-runs.js';
import { DATABASES } from '../support/test-databases.js';
import { until } from '../support/until.js';

const RUNS = reliabilityRuns(15);
/** Each user's memories all carry a word no other user has: a leak is a plain substring. */
const MARKERS = ['amaryllis', 'basilisk', 'cormorant', 'dulcimer', 'esplanade', 'fumarole', 'gazpacho', 'harlequin'];
const FACTS = ['grows {m} in the garden', 'wrote a song about {m}', 'named the boat {m}', 'dreams of {m} at night', 'keeps a {m} diary', 'painted a {m} mural'];

const ACTIONS = [
  'orchestrate',
  'orchestrate_sse',
  'follow_up',
  'orchestrate_with_user_id',
  'search',
  'list',
  'resource',
  'prompt',
  'status',
  'add',
  'delete_foreign',
  'regenerate',
  'foreign_session',
  'rest_narrative',
  'rest_list',
  'rest_status',
  'rest_add',
  'rest_delete_foreign',
  'rest_regenerate',
] as const;
type Action = (typeof ACTIONS)[number];

interface Tenant extends HostedUser {
  marker: string;
  streamable: Client;
  sse: Client;
  sessionId: string;
  memoryIds: Set<string>;
}

describe.each(DATABASES)('isolation between users on %s', (kind) => {
  let hosted: HostedServer;
  let logs = '';
  const tenants: Tenant[] = [];
  const keys: string[] = [];
  let added = 0;
  let requests = 0;

  beforeAll(async () => {
    const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => ((logs += chunk.toString()), done()) });
    hosted = await startHostedServer(
      kind,
      { HTTP_RATE_LIMIT_PER_MINUTE: '1000000', REGENERATE_PER_HOUR: '10000', NARRATIVE_INVALIDATE_AFTER_NEW_MEMORIES: '3' },
      { provider: new ControlledProvider(), logger: pino({ level: 'trace' }, sink) },
    );
    for (const [index, marker] of MARKERS.entries()) {
      const user = await hosted.addUser(`tenant-${marker}`, FACTS.map((fact) => `Tenant ${index} ${fact.replace('{m}', marker)}.`));
      keys.push(user.key);
      const memoryIds = new Set((await hosted.app.repositories.memories.recent(user.id, { limit: 100 })).map((memory) => memory.id));
      // Half of them start with a narrative (cache hits), half without (the miss path).
      if (index % 2 === 0) await hosted.app.engine.runner.request(user.id, 'manual').done;
      const streamable = await hosted.mcpClient(user.key);
      const sse = await hosted.mcpClient(user.key, 'sse');
      const sessionId = (streamable.transport as StreamableHTTPClientTransport).sessionId!;
      tenants.push({ ...user, marker, streamable, sse, sessionId, memoryIds });
    }
  });
  afterAll(async () => {
    console.info(`isolation on ${kind}: ${requests} requests across ${tenants.length} users, ${keys.length} keys kept out of the logs`);
    await hosted.close();
  });

  const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  /** Does what the action says as `user`, aiming at `target` where it can; returns everything the server answered. */
  async function act(action: Action, user: Tenant, target: Tenant): Promise<string> {
    requests += 1;
    const call = async (client: Client, name: string, args: Record<string, unknown>) =>
      JSON.stringify(await client.callTool({ name, arguments: args }).catch((error: unknown) => String(error)));
    const rest = async (path: string, init: RequestInit = {}) => {
      const response = await hosted.fetch(path, init, user.key);
      return `${response.status} ${await response.text()}`;
    };
    const foreignId = [...target.memoryIds][0]!;
    switch (action) {
      case 'orchestrate':
        return call(user.streamable, 'orchestrate_smart_context', { user_message: `Tell me about ${target.marker}` });
      case 'orchestrate_sse':
        return call(user.sse, 'orchestrate_smart_context', { user_message: `${target.marker} ${target.externalId}` });
      case 'follow_up':
        return call(user.streamable, 'orchestrate_smart_context', { user_message: target.marker, is_new_conversation: false });
      case 'orchestrate_with_user_id':
        return call(user.sse, 'orchestrate_smart_context', { user_message: target.marker, user_id: target.id, user: target.externalId });
      case 'search':
        return call(user.streamable, 'search_memories', { query: `${target.marker} tenant garden song boat`, limit: 50 });
      case 'list':
        return call(user.sse, 'list_memories', { limit: 100 });
      case 'resource':
        return JSON.stringify(await user.streamable.readResource({ uri: 'narrative://me' }));
      case 'prompt':
        return JSON.stringify(await user.sse.getPrompt({ name: 'user_context' }));
      case 'status':
        return call(user.streamable, 'narrative_status', {});
      case 'add': {
        const answer = await call(user.sse, 'add_memories', { memories: [{ content: `Tenant ${user.marker} note ${++added}.` }] });
        for (const id of answer.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g) ?? []) user.memoryIds.add(id);
        return answer;
      }
      case 'delete_foreign': {
        const answer = await call(user.streamable, 'delete_memories', { ids: [foreignId] });
        expect(answer).toContain('not_found');
        return answer;
      }
      case 'regenerate':
        return call(user.sse, 'regenerate_narrative', { wait: true });
      case 'foreign_session': {
        const response = await hosted.fetch(
          '/mcp',
          {
            ...json({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_memories', arguments: {} } }),
            headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': target.sessionId },
          },
          user.key,
        );
        expect(response.status).toBe(404);
        return response.text();
      }
      case 'rest_narrative':
        return rest('/api/v1/memories/narrative');
      case 'rest_list':
        return rest('/api/v1/memories?limit=100');
      case 'rest_status':
        return rest('/api/v1/memories/narrative/status');
      case 'rest_add': {
        const answer = await rest('/api/v1/memories', json({ memories: [{ content: `Tenant ${user.marker} rest note ${++added}.` }] }));
        for (const id of answer.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g) ?? []) user.memoryIds.add(id);
        return answer;
      }
      case 'rest_delete_foreign': {
        const answer = await rest(`/api/v1/memories/${foreignId}`, { method: 'DELETE' });
        expect(answer).toMatch(/^404 /);
        return answer;
      }
      case 'rest_regenerate':
        return rest('/api/v1/memories/narrative/regenerate', { method: 'POST' });
    }
  }

  function expectOnlyOwn(answer: string, user: Tenant, context: string): void {
    for (const other of tenants) {
      if (other === user) continue;
      const leaked = answer.includes(other.marker) ? other.marker : [...other.memoryIds].find((id) => answer.includes(id));
      expect(leaked, `${context} answered with ${other.externalId}'s data: ${answer.slice(0, 400)}`).toBeUndefined();
    }
  }

  it('never answers any user with another user memory or narrative, whatever the interleaving', async () => {
    const step = fc.record({ action: fc.constantFrom(...ACTIONS), user: fc.nat(MARKERS.length - 1), target: fc.nat(MARKERS.length - 1) });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 25 }), async (steps) => {
        await Promise.all(
          steps.map(async ({ action, user, target }) => {
            const self = tenants[user]!;
            const aimedAt = tenants[target === user ? (target + 1) % tenants.length : target]!;
            const answer = await act(action, self, aimedAt);
            // What the request itself named (the target's marker, or the id it tried to delete) may be quoted back.
            const echoed = action.includes('delete') ? [...aimedAt.memoryIds][0]! : aimedAt.marker;
            expectOnlyOwn(answer.split(echoed).join(''), self, `${action} by ${self.externalId} aimed at ${aimedAt.externalId}`);
          }),
        );
      }),
      { numRuns: RUNS },
    );
    await until(async () => hosted.app.engine.runner.size.queued + hosted.app.engine.runner.size.running === 0, 30_000);
    for (const tenant of tenants) {
      const narrative = await hosted.app.repositories.narratives.get(tenant.id);
      if (narrative) expectOnlyOwn(narrative.narrative_content, tenant, `the stored narrative of ${tenant.externalId}`);
      expect(await hosted.app.repositories.memories.count(tenant.id)).toBe(tenant.memoryIds.size);
    }
  });

  it('refuses a revoked key at once on REST, Streamable HTTP and SSE, even on sessions it opened', async () => {
    const owner = tenants[0]!;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom('rest', 'streamable', 'sse'), { minLength: 1, maxLength: 4 }), fc.array(fc.constantFrom('rest', 'streamable', 'sse'), { minLength: 1, maxLength: 4 }), async (before, after) => {
        const { key, row } = await hosted.app.repositories.apiKeys.create(owner.id, 'to be revoked');
        keys.push(key);
        const streamable = await hosted.mcpClient(key);
        const sse = await hosted.mcpClient(key, 'sse');
        const use = async (via: string): Promise<boolean> => {
          if (via === 'rest') return (await hosted.fetch('/api/v1/memories/narrative/status', {}, key)).status === 200;
          const client = via === 'sse' ? sse : streamable;
          return client.callTool({ name: 'narrative_status', arguments: {} }).then(
            () => true,
            () => false,
          );
        };
        for (const via of before) expect(await use(via)).toBe(true);
        await hosted.app.repositories.apiKeys.revoke(row.id);
        for (const via of after) expect(await use(via), `${via} after revocation`).toBe(false);
        const refused = await hosted.fetch('/api/v1/memories', {}, key);
        expect(refused.status).toBe(401);
        await Promise.allSettled([streamable.close(), sse.close()]);
      }),
      { numRuns: Math.max(3, Math.round(RUNS / 2)) },
    );
  });

  it('never writes a key into the logs, at any level', () => {
    expect(logs.length).toBeGreaterThan(10_000);
    for (const key of keys) {
      expect(logs).not.toContain(key);
      // The part after the shown prefix is the secret.
      expect(logs).not.toContain(key.slice(13));
    }
  });
});
