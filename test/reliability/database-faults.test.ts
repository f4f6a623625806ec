import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import pino from 'pino';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openApp, type App } from '../../src/app/app.js';
import { loadConfig } from '../../src/config/config.js';
import { startHttpServer, type RunningHttpServer } from '../../src/http/start-http-server.js';
import { createMcpServer } from '../../src/mcp/create-mcp-server.js';
import { connectInProcess, textOf } from '../support/mcp-test-client.js';
import { postgresBinaries, startThrowawayPostgres, type ThrowawayPostgres } from '../support/throwaway-postgres.js';
import { until } from '../support/until.js';

const binaries = postgresBinaries();
if ('missing' in binaries) console.warn(`database-faults: skipped, ${binaries.missing}`);

const FACTS = ['Rosa builds kites.', 'Rosa lives in Porto.', 'Rosa has twin sons.', 'Rosa is a nurse.', 'Rosa sings fado.'];
/** How long the server may take to serve again once PostgreSQL is back (reconnection attempts are at most 1 s apart). */
const RECOVERY_LIMIT_MS = 5_000;

interface Running {
  app: App;
  http: RunningHttpServer;
  key: string;
  userId: string;
  /** An MCP session over Streamable HTTP, as a hosted client holds it. */
  remote: Client;
  /** The same tools in process, as a stdio client reaches them (no key lookup in front). */
  local: Client;
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

describe.skipIf('missing' in binaries)('database faults on a PostgreSQL that stops, fills up and stalls', () => {
  let cluster: ThrowawayPostgres;
  let database = 0;
  const opened: Running[] = [];

  beforeAll(async () => {
    cluster = await startThrowawayPostgres({ settings: { max_connections: 30 } });
  }, 120_000);
  afterEach(async () => {
    for (const running of opened.splice(0)) {
      await Promise.allSettled([running.remote.close(), running.local.close()]);
      await running.http.close();
      await running.app.close({ graceMs: 0 });
    }
  });
  afterAll(() => cluster?.remove());

  /** A server process's worth of app on a new database of the cluster, with a user, a key and both kinds of MCP client. */
  async function open(settings: Record<string, string> = {}): Promise<Running> {
    const name = `faults_${++database}`;
    const admin = postgres(cluster.url(), { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    await admin.end();
    const config = loadConfig({ DATABASE_URL: cluster.url(name), HTTP_RATE_LIMIT_PER_MINUTE: '1000000', DATABASE_POOL_SIZE: '6', ...settings });
    const app = await openApp(config, pino({ level: 'silent' }));
    const http = await startHttpServer(app, { host: '127.0.0.1', port: 0 });
    const user = await app.repositories.users.getOrCreate('rosa');
    await app.engine.memories.add(user.id, FACTS.map((content) => ({ content })), 'test');
    const { key } = await app.repositories.apiKeys.create(user.id);
    const fetchWithKey = (path: string, init: RequestInit = {}) =>
      fetch(`${http.url}${path}`, { ...init, headers: { Authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers } });
    const { Client: McpClient } = await import('@modelcontextprotocol/sdk/client/index.js');
    const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
    const remote = new McpClient({ name: 'faults', version: '0.0.0' });
    await remote.connect(new StreamableHTTPClientTransport(new URL(`${http.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${key}` } } }));
    const local = await connectInProcess(
      createMcpServer({ engine: app.engine, logger: app.logger, resolveUser: async () => ({ id: user.id, externalId: 'rosa' }) }),
    );
    const running = { app, http, key, userId: user.id, remote, local, fetch: fetchWithKey };
    opened.push(running);
    return running;
  }

  async function expectUnavailable(response: Response): Promise<void> {
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(await response.json()).toMatchObject({ error: { code: 'unavailable', message: expect.stringMatching(/database|try again/i) } });
  }

  /** Over Streamable HTTP a call is refused with 503 before it runs or, its key's owner held in memory, runs and says so. */
  async function expectRemoteToolUnavailable(call: Promise<unknown>): Promise<void> {
    const outcome = await call.then((result) => ({ result: result as CallToolResult }), (error: unknown) => ({ error }));
    if ('error' in outcome) {
      expect(String(outcome.error)).toMatch(/503|unavailable/);
    } else {
      expect(outcome.result.isError).toBe(true);
      expect(textOf(outcome.result)).toMatch(/database is unreachable right now\. Try again in a few seconds\./);
    }
  }

  async function recoveryMs(running: Running): Promise<number> {
    const started = performance.now();
    await until(async () => (await running.fetch('/api/v1/memories')).status === 200, RECOVERY_LIMIT_MS);
    return performance.now() - started;
  }

  it('answers 503 and MCP tool errors that say so while PostgreSQL is down, and serves again within seconds of its return', async () => {
    const running = await open();
    expect((await running.fetch('/api/v1/memories')).status).toBe(200);

    await cluster.stop('fast');
    try {
      await expectUnavailable(await running.fetch('/api/v1/memories'));
      await expectUnavailable(await running.fetch('/api/v1/memories', { method: 'POST', body: JSON.stringify({ memories: [{ content: 'Rosa got a dog.' }] }) }));
      await expectUnavailable(await running.fetch('/api/v1/memories/narrative'));
      const health = await fetch(`${running.http.url}/healthz`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ status: 'unavailable', error: { code: 'unavailable', message: expect.any(String) } });

      await expectRemoteToolUnavailable(running.remote.callTool({ name: 'list_memories', arguments: {} }));
      for (const [tool, args] of [
        ['add_memories', { memories: [{ content: 'Rosa got a dog.' }] }],
        ['orchestrate_smart_context', { user_message: 'What do I do for a living?' }],
        ['search_memories', { query: 'kites' }],
        ['narrative_status', {}],
      ] as const) {
        const result = (await running.local.callTool({ name: tool, arguments: args })) as CallToolResult;
        expect(result.isError, tool).toBe(true);
        expect(textOf(result), tool).toMatch(/database is unreachable right now\. Try again in a few seconds\./);
      }
      await expect(running.local.readResource({ uri: 'narrative://me' })).rejects.toThrow(/database is unreachable/);
    } finally {
      await cluster.start();
    }

    const recovered = await recoveryMs(running);
    expect((await running.fetch('/api/v1/memories', { method: 'POST', body: JSON.stringify({ memories: [{ content: 'Rosa got a dog.' }] }) })).status).toBe(201);
    expect(await running.remote.callTool({ name: 'search_memories', arguments: { query: 'dog' } })).toMatchObject({ structuredContent: { results: [{ content: 'Rosa got a dog.' }] } });
    expect(((await running.local.callTool({ name: 'narrative_status', arguments: {} })) as CallToolResult).isError).toBeFalsy();
    expect((await fetch(`${running.http.url}/healthz`)).status).toBe(200);
    console.info(`database-faults: served again ${Math.round(recovered)} ms after PostgreSQL was back`);
  });

  // postgres.js 3.4.9 hands a reserved connection whose session died back to its pool (porsager/postgres#1199),
  // and Kysely reserves a connection for every query: this holds only with src/db/guarded-connection.ts.
  it('keeps every acknowledged memory when PostgreSQL stops and restarts under load, answering 503 meanwhile', async () => {
    const running = await open();
    const acknowledged = new Set<string>();
    const statuses = new Map<number, number>();
    let stop = false;
    let next = 0;
    const worker = async (viaMcp: boolean) => {
      while (!stop) {
        const content = `Rosa note ${++next}.`;
        if (viaMcp) {
          const result = (await running.remote.callTool({ name: 'add_memories', arguments: { memories: [{ content }] } }).catch(() => undefined)) as CallToolResult | undefined;
          if (result && !result.isError) acknowledged.add(content);
          continue;
        }
        const response = await running.fetch('/api/v1/memories', { method: 'POST', body: JSON.stringify({ memories: [{ content }] }) }).catch(() => undefined);
        if (!response) continue;
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        await response.text();
        if (response.status === 201) acknowledged.add(content);
      }
    };
    const workers = [...Array.from({ length: 6 }, () => worker(false)), worker(true), worker(true)];
    await until(() => acknowledged.size >= 50, 30_000);
    await cluster.stop('fast');
    await until(() => (statuses.get(503) ?? 0) >= 6, 30_000);
    await cluster.start();
    const before = acknowledged.size;
    await until(() => acknowledged.size >= before + 50, RECOVERY_LIMIT_MS);
    stop = true;
    await Promise.all(workers);

    expect([...statuses.keys()].filter((status) => status !== 201 && status !== 503)).toEqual([]);
    const stored = new Set((await running.app.database.db.selectFrom('memories').select('content').where('user_id', '=', running.userId).execute()).map((row) => row.content));
    expect([...acknowledged].filter((content) => !stored.has(content))).toEqual([]);
    console.info(`database-faults: ${acknowledged.size} acknowledged adds, ${statuses.get(503) ?? 0} answered 503, none lost`);
  }, 90_000);

  it('answers 503 while PostgreSQL has no connection slots left, and serves again once they free up', async () => {
    const running = await open();
    const hogs: postgres.Sql[] = [];
    try {
      // Take every slot the server has left.
      for (;;) {
        const hog = postgres(cluster.url(), { max: 1, onnotice: () => {} });
        try {
          await hog`select 1`;
          hogs.push(hog);
        } catch (error) {
          await hog.end({ timeout: 0 });
          expect((error as { code?: string }).code).toBe('53300');
          break;
        }
      }
      // More requests at once than the pool has open connections: the pool must open new ones, and cannot.
      const responses = await Promise.all(Array.from({ length: 12 }, () => running.fetch('/api/v1/memories')));
      const statuses = responses.map((response) => response.status);
      expect(statuses.every((status) => status === 200 || status === 503)).toBe(true);
      expect(statuses).toContain(503);
      const refused = responses.find((response) => response.status === 503)!;
      await expectUnavailable(refused);
      const results = (await Promise.all(
        Array.from({ length: 8 }, () => running.local.callTool({ name: 'search_memories', arguments: { query: 'kites' } })),
      )) as CallToolResult[];
      for (const result of results.filter((answer) => answer.isError)) expect(textOf(result)).toMatch(/database is unreachable right now/);
    } finally {
      await Promise.all(hogs.map((hog) => hog.end({ timeout: 1 })));
    }
    await recoveryMs(running);
    const again = await Promise.all(Array.from({ length: 12 }, () => running.fetch('/api/v1/memories')));
    expect(again.map((response) => response.status)).toEqual(Array(12).fill(200));
  });

  it('answers 503 when a statement runs past DATABASE_STATEMENT_TIMEOUT_MS, and writes nothing of that request', async () => {
    const running = await open({ DATABASE_STATEMENT_TIMEOUT_MS: '300' });
    const before = await running.app.repositories.memories.count(running.userId);
    const holder = postgres(cluster.url(`faults_${database}`), { max: 1, onnotice: () => {} });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holding = holder.begin(async (tx) => {
      await tx`lock table memories in access exclusive mode`;
      locked();
      await released;
    });
    try {
      await isLocked;
      const add = await running.fetch('/api/v1/memories', { method: 'POST', body: JSON.stringify({ memories: [{ content: 'Rosa keeps bees.' }] }) });
      await expectUnavailable(add);
    } finally {
      release();
      await holding;
      await holder.end();
    }
    expect(await running.app.repositories.memories.count(running.userId)).toBe(before);
    expect((await running.fetch('/api/v1/memories')).status).toBe(200);
  });

  it("keeps serving everyone while a slow transaction holds a user's narrative row, then writes exactly one new version", async () => {
    const running = await open();
    await running.app.engine.runner.request(running.userId, 'manual').done;
    const other = await running.app.repositories.users.getOrCreate('otto');
    const otherKey = (await running.app.repositories.apiKeys.create(other.id)).key;
    const holder = postgres(cluster.url(`faults_${database}`), { max: 1, onnotice: () => {} });
    const monitor = postgres(cluster.url(), { max: 1, onnotice: () => {} });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holding = holder.begin(async (tx) => {
      await tx`select 1 from user_narratives where user_id = ${running.userId} for update`;
      locked();
      await released;
    });
    try {
      await isLocked;
      expect((await running.fetch('/api/v1/memories/narrative/regenerate', { method: 'POST' })).status).toBe(202);
      // The regeneration is now waiting on the lock inside PostgreSQL.
      await until(async () => {
        const [row] = await monitor<{ waiting: number }[]>`select count(*)::int as waiting from pg_stat_activity where wait_event_type = 'Lock' and datname = ${`faults_${database}`}`;
        return row!.waiting >= 1;
      }, 30_000);

      const cached = await running.fetch('/api/v1/memories/narrative');
      expect(cached.status).toBe(200);
      expect(await cached.json()).toMatchObject({ version: 1 });
      const otherAdd = await fetch(`${running.http.url}/api/v1/memories`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${otherKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ memories: [{ content: 'Otto repairs clocks.' }] }),
      });
      expect(otherAdd.status).toBe(201);
      expect((await fetch(`${running.http.url}/healthz`)).status).toBe(200);
      expect(running.app.engine.runner.state(running.userId)).toBe('running');
    } finally {
      release();
      await holding;
      await Promise.all([holder.end(), monitor.end()]);
    }
    await running.app.engine.runner.onIdle();
    expect(await running.app.repositories.narratives.get(running.userId)).toMatchObject({ version: 2 });
  });
});
