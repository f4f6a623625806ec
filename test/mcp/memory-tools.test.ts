import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/app.js';
import { createMcpServer } from '../../src/mcp/create-mcp-server.js';
import type { RequestUser } from '../../src/mcp/tool-context.js';
import { callTool, connectInProcess, textOf } from '../support/mcp-test-client.js';
import { openTestApp } from '../support/test-app.js';
import { DATABASES } from '../support/test-databases.js';

describe.each(DATABASES)('memory tools over MCP on %s', (kind) => {
  let app: App;
  let client: Client;
  let otherClient: Client;

  async function clientFor(externalId: string): Promise<Client> {
    const row = await app.repositories.users.getOrCreate(externalId);
    const user: RequestUser = { id: row.id, externalId };
    return connectInProcess(createMcpServer({ engine: app.engine, logger: app.logger, resolveUser: async () => user }));
  }

  beforeAll(async () => {
    app = await openTestApp(kind, { MAX_MEMORY_CHARS: '200' });
    client = await clientFor('alice');
    otherClient = await clientFor('bob');
  });
  afterAll(async () => {
    await client.close();
    await otherClient.close();
    await app.close();
  });

  it('lists both tools with input and output schemas and annotations', async () => {
    const { tools } = await client.listTools();
    const byName = Object.fromEntries(tools.map((tool) => [tool.name, tool]));
    expect(Object.keys(byName)).toEqual(expect.arrayContaining(['add_memories', 'search_memories']));
    expect(byName.add_memories!.outputSchema).toBeDefined();
    expect(byName.search_memories!.annotations?.readOnlyHint).toBe(true);
    expect(byName.add_memories!.inputSchema.required).toEqual(['memories']);
  });

  it('stores memories and finds them again, with structured content', async () => {
    const added = await callTool(client, 'add_memories', {
      memories: [{ content: 'Alice adopted a cat named Miso in March.' }, { content: 'Alice works as a marine biologist.', metadata: { topic: 'work' } }],
    });
    expect(added.isError).toBeFalsy();
    expect(added.structuredContent).toMatchObject({ duplicates: 0, total_memories: 2 });
    expect(textOf(added)).toContain('Stored 2 memories');

    const found = await callTool(client, 'search_memories', { query: 'where does she work?' });
    const results = (found.structuredContent as { results: { content: string; metadata: unknown }[] }).results;
    expect(results[0]).toMatchObject({ content: 'Alice works as a marine biologist.', metadata: { topic: 'work' } });
  });

  it('reports text the user already has instead of storing it again', async () => {
    const again = await callTool(client, 'add_memories', { memories: [{ content: 'alice adopted a cat named miso in march.' }] });
    expect(again.structuredContent).toMatchObject({ added: [], duplicates: 1, total_memories: 2 });
  });

  it("keeps one user's memories from another", async () => {
    const found = await callTool(otherClient, 'search_memories', { query: 'cat Miso marine biologist' });
    expect(found.structuredContent).toEqual({ results: [] });
  });

  it.each([
    ['no memories', { memories: [] }],
    ['empty content', { memories: [{ content: '   ' }] }],
    ['content over the limit', { memories: [{ content: 'x'.repeat(201) }] }],
    ['a NUL byte', { memories: [{ content: 'before\u0000after' }] }],
    ['a control character', { memories: [{ content: 'bell\u0007' }] }],
    ['a wrong type', { memories: 'not a list' }],
    ['metadata that is not an object', { memories: [{ content: 'fine', metadata: [1, 2] }] }],
  ])('answers %s with a tool error and stores nothing', async (_case, args) => {
    const result = await callTool(client, 'add_memories', args);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/memor|content|metadata|expected/i);
    const count = await callTool(client, 'add_memories', { memories: [{ content: 'Alice works as a marine biologist.' }] });
    expect(count.structuredContent).toMatchObject({ total_memories: 2 });
  });

  it('treats SQL and search syntax in a query as plain words', async () => {
    const result = await callTool(client, 'search_memories', { query: "'); drop table memories; -- & | !" });
    expect(result.isError).toBeFalsy();
    const still = await callTool(client, 'search_memories', { query: 'cat' });
    expect((still.structuredContent as { results: unknown[] }).results).toHaveLength(1);
  });

  it('rejects an empty query and an out-of-range limit', async () => {
    expect((await callTool(client, 'search_memories', { query: '' })).isError).toBe(true);
    expect((await callTool(client, 'search_memories', { query: 'cat', limit: 0 })).isError).toBe(true);
    expect((await callTool(client, 'search_memories', { query: 'cat', limit: 51 })).isError).toBe(true);
  });
});
