import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, cliEnvironment } from '../support/cli.js';
import { callTool, textOf } from '../support/mcp-test-client.js';
import { DATABASES } from '../support/test-databases.js';

describe.each(DATABASES)('narrative-mcp serve --stdio on %s, driven by the MCP SDK client', (kind) => {
  let client: Client;
  let transport: StdioClientTransport;
  let cleanup: () => Promise<void>;
  let stderr = '';

  beforeAll(async () => {
    const environment = await cliEnvironment(kind);
    cleanup = environment.cleanup;
    transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI_PATH, 'serve', '--stdio', '--user', 'stdio-user'],
      env: { ...environment.env, LOG_LEVEL: 'info' },
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    client = new Client({ name: 'stdio-test', version: '0.0.0' });
    await client.connect(transport);
  });
  afterAll(async () => {
    await client.close();
    await cleanup();
  });

  it('identifies itself and lists its tools', async () => {
    expect(client.getServerVersion()?.name).toBe('narrative-mcp');
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['add_memories', 'search_memories']));
  });

  it('adds memories and searches them', async () => {
    const added = await callTool(client, 'add_memories', {
      memories: [{ content: 'The user is training for the Berlin marathon in September.' }, { content: 'The user is allergic to peanuts.' }],
    });
    expect(added.structuredContent).toMatchObject({ total_memories: 2 });
    const found = await callTool(client, 'search_memories', { query: 'marathon training', limit: 5 });
    expect(textOf(found)).toContain('Berlin marathon');
  });

  it('answers invalid arguments with an error and keeps serving', async () => {
    const bad = await callTool(client, 'add_memories', { memories: [{ content: 42 }] });
    expect(bad.isError).toBe(true);
    await expect(client.callTool({ name: 'no_such_tool', arguments: {} })).resolves.toMatchObject({ isError: true });
    const found = await callTool(client, 'search_memories', { query: 'peanuts' });
    expect(found.isError).toBeFalsy();
  });

  it('writes JSON logs to stderr only, never to the protocol stream', () => {
    const lines = stderr.trim().split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(JSON.parse(line)).toHaveProperty('msg');
    expect(stderr).toContain('serving MCP over stdio');
  });
});
