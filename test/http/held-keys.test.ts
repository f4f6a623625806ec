import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, type App } from '../../src/app/app.js';
import { loadConfig } from '../../src/config/config.js';
import { openDatabase, type DatabaseHandle, type DatabaseKind } from '../../src/db/open-database.js';
import { startHttpServer, type RunningHttpServer } from '../../src/http/start-http-server.js';
import { hashApiKey } from '../../src/repositories/api-key-repository.js';
import { ControlledProvider } from '../support/controlled-provider.js';
import { runCli } from '../support/cli.js';
import { createPostgresTestDatabase } from '../support/postgres-test-databases.js';
import { DATABASES, openTestDatabase } from '../support/test-databases.js';
import { until } from '../support/until.js';
import { TableQueryCounter } from '../repositories/table-query-counter.js';

/** A test database, with its URL when another process can reach it. */
async function openReachableDatabase(kind: DatabaseKind): Promise<{ handle: DatabaseHandle; url?: string }> {
  if (kind === 'pglite') return { handle: await openTestDatabase(kind) };
  const { url, drop } = await createPostgresTestDatabase();
  const handle = await openDatabase({ databaseUrl: url, dataDir: '', poolSize: 4 });
  return { url, handle: { ...handle, close: () => handle.close().finally(drop) } };
}

describe.each(DATABASES)('keys held by the HTTP server on %s', (kind) => {
  let app: App;
  let server: RunningHttpServer;
  let databaseUrl: string | undefined;
  const queries = new TableQueryCounter('api_keys');
  let userId: string;

  beforeAll(async () => {
    const { handle, url } = await openReachableDatabase(kind);
    databaseUrl = url;
    app = await openApp(loadConfig({ HTTP_RATE_LIMIT_PER_MINUTE: '100000' }), pino({ level: 'silent' }), {
      database: { ...handle, db: handle.db.withPlugin(queries) },
      migrate: false,
      provider: new ControlledProvider(),
    });
    server = await startHttpServer(app, { host: '127.0.0.1', port: 0 });
    userId = (await app.repositories.users.getOrCreate('key-holder')).id;
  });
  afterAll(async () => {
    await server.close();
    await app.close({ graceMs: 0 });
  });

  const status = async (key: string) =>
    (await fetch(`${server.url}/api/v1/memories/narrative/status`, { headers: { Authorization: `Bearer ${key}` } })).status;

  async function mcpClient(key: string): Promise<Client> {
    const client = new Client({ name: 'held-keys-test', version: '0.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${key}` } } }));
    return client;
  }

  /** A new key, already held: it was used once and the announcement of its creation has arrived. */
  async function heldKey(): Promise<{ key: string; keyId: string }> {
    const { key, row } = await app.repositories.apiKeys.create(userId);
    await until(async () => {
      const before = queries.count;
      expect(await status(key)).toBe(200);
      return queries.count === before;
    });
    return { key, keyId: row.id };
  }

  it('reads a key from the database on its first request only', async () => {
    const { key } = await app.repositories.apiKeys.create(userId);
    const before = queries.count;
    expect(await status(key)).toBe(200);
    expect(queries.count).toBeGreaterThan(before);
    // The announcement of the key's creation may still drop it once; after that it stays held.
    await until(async () => {
      const seen = queries.count;
      expect(await status(key)).toBe(200);
      return queries.count === seen;
    });
    const held = queries.count;
    for (let call = 0; call < 10; call++) expect(await status(key)).toBe(200);
    expect(queries.count).toBe(held);
  });

  it('refuses a held key on the very next request once revoked through the repository', async () => {
    const { key, keyId } = await heldKey();
    const client = await mcpClient(key);
    await client.callTool({ name: 'narrative_status', arguments: {} });
    expect(await app.repositories.apiKeys.revoke(keyId)).toBe(1);
    expect(await status(key)).toBe(401);
    await expect(client.callTool({ name: 'narrative_status', arguments: {} })).rejects.toThrow();
    await client.close();
  });

  it('refuses a held key once the database announces its revocation by a direct UPDATE', async () => {
    const { key, keyId } = await heldKey();
    await sql`update api_keys set revoked_at = now() where id = ${keyId}`.execute(app.database.db);
    await until(async () => (await status(key)) === 401);
    for (let call = 0; call < 5; call++) expect(await status(key)).toBe(401);
  });

  it.runIf(kind === 'postgres')('refuses a held key once `narrative-mcp keys revoke` in another process revoked it', async () => {
    const { key, keyId } = await heldKey();
    const revoked = await runCli(['keys', 'revoke', keyId], { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl! });
    expect(revoked.stdout, revoked.stderr).toContain('Revoked 1 key.');
    await until(async () => (await status(key)) === 401);
    expect(await status(key)).toBe(401);
  });

  it('accepts a key stored right after the same key was refused', async () => {
    const key = 'nmcp_known-to-the-client-before-the-server';
    expect(await status(key)).toBe(401);
    await sql`insert into api_keys (user_id, key_prefix, key_hash) values (${userId}, 'nmcp_known', ${hashApiKey(key)})`.execute(app.database.db);
    expect(await status(key)).toBe(200);
  });
});
