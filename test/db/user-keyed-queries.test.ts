import { createHash } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, type App } from '../../src/app/app.js';
import { loadConfig } from '../../src/config/config.js';
import { startHttpServer, type RunningHttpServer } from '../../src/http/start-http-server.js';
import { OfflineProvider } from '../../src/llm/offline/offline-provider.js';
import { callTool, connectOverHttp } from '../support/mcp-test-client.js';
import { recordingDatabase, type RecordedStatement } from '../support/recording-database.js';
import { DATABASES, openTestDatabase } from '../support/test-databases.js';

const FACTS = [
  'Wren restores stained glass windows.',
  'Wren has a sister called Ada who farms oysters.',
  'Wren sings in a sea shanty choir.',
  'Wren is learning to sail a dinghy.',
  'Wren wants to walk the coast of Wales.',
];

/**
 * Ready to shard by user: every statement the request path sends — a conversation start (miss and
 * hit), the generation it starts, search, list, add, correct, delete, status, regeneration — is
 * keyed by the user it serves, so a distributed PostgreSQL (Citus, by `user_id`) routes it to one
 * shard. The only statement that crosses users is the key lookup by its hash, on `api_keys`, which
 * such a deployment keeps as a table of its own (see docs/scaling.md).
 */
describe.each(DATABASES)('the request path on %s', (kind) => {
  let app: App;
  let server: RunningHttpServer;
  let statements: RecordedStatement[];
  let client: Client;
  let userId: string;
  let keyHash: string;

  beforeAll(async () => {
    const recording = recordingDatabase(await openTestDatabase(kind));
    statements = recording.statements;
    app = await openApp(loadConfig({}), pino({ level: 'silent' }), { database: recording.handle, migrate: false, provider: new OfflineProvider() });
    userId = (await app.repositories.users.getOrCreate('wren')).id;
    await app.engine.memories.add(userId, FACTS.map((content) => ({ content })), 'test');
    const { key } = await app.repositories.apiKeys.create(userId, 'sharding test');
    keyHash = createHash('sha256').update(key).digest('hex');
    // A second user, so a statement that forgot its user would have someone else's rows to touch.
    const other = (await app.repositories.users.getOrCreate('other')).id;
    await app.engine.memories.add(other, FACTS.map((content) => ({ content: `${content} (other)` })), 'test');
    server = await startHttpServer(app, { host: '127.0.0.1', port: 0 });
    client = await connectOverHttp(server.url, key, 'streamable');
  });

  afterAll(async () => {
    await client?.close();
    await server?.close();
    await app?.close({ graceMs: 0 });
  });

  it('keys every statement by the user, but the key lookup by its hash', async () => {
    statements.length = 0;
    await callTool(client, 'orchestrate_smart_context', { message: 'What boat is Wren learning to sail?' });
    await app.engine.runner.onIdle();
    await callTool(client, 'orchestrate_smart_context', { message: 'Tell me about the choir.' });
    await callTool(client, 'search_memories', { query: 'oysters' });
    await callTool(client, 'list_memories', { limit: 3 });
    const added = await callTool(client, 'add_memories', { memories: [{ content: 'Wren mended the rose window of a cathedral.' }] });
    const memoryId = (added.structuredContent as { added: { id: string }[] }).added[0]!.id;
    await callTool(client, 'update_memories', { updates: [{ id: memoryId, content: 'Wren mended the rose window of Chartres.' }] });
    await callTool(client, 'delete_memories', { ids: [memoryId] });
    await callTool(client, 'narrative_status', {});
    await callTool(client, 'regenerate_narrative', {});
    await app.engine.runner.onIdle();

    const data = statements.filter((statement) => !isControl(statement.sql));
    expect(data.length).toBeGreaterThan(20);
    const unkeyed = data.filter((statement) => !statement.parameters.includes(userId) && !statement.parameters.includes(keyHash));
    expect(unkeyed.map((statement) => statement.sql)).toEqual([]);
    // The key lookup: only `api_keys`, found by the key's hash, joined to nothing.
    const byKey = data.filter((statement) => !statement.parameters.includes(userId));
    expect(byKey.length).toBeGreaterThan(0);
    expect(new Set(byKey.flatMap((statement) => tablesOf(statement.sql)))).toEqual(new Set(['api_keys']));
  });

  it("has the user in every primary and unique key of a user's tables", async () => {
    const { rows } = await sql<{ table: string; index: string; columns: string[] }>`
      select t.relname as "table", i.relname as "index", array_agg(a.attname::text order by a.attname) as "columns"
      from pg_index x
      join pg_class t on t.oid = x.indrelid
      join pg_class i on i.oid = x.indexrelid
      join pg_attribute a on a.attrelid = t.oid and a.attnum = any(x.indkey)
      where x.indisunique and t.relname in ('users', 'memories', 'user_narratives', 'narrative_generation_state')
      group by 1, 2`.execute(app.database.db);
    const userColumn = (table: string) => (table === 'users' ? 'id' : 'user_id');
    const withoutUser = rows.filter((row) => !row.columns.includes(userColumn(row.table))).map((row) => row.index);
    // External ids are unique across users: a lookup table distributed by external id, at Citus time (docs/scaling.md).
    expect(withoutUser).toEqual(['users_external_id_key']);
    expect(rows.length).toBeGreaterThanOrEqual(6);
  });
});

/** Transaction control and session settings, which touch no table. */
function isControl(sql: string): boolean {
  return /^\s*(?:begin|commit|rollback|savepoint|release|set|select 1\b)/i.test(sql);
}

function tablesOf(sql: string): string[] {
  return [...sql.matchAll(/\b(?:from|into|update|join)\s+"?([a-z_]+)"?/gi)].map((match) => match[1]!);
}
