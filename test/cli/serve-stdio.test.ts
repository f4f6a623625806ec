import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, cliEnvironment, runCli } from '../support/cli.js';
import { LOCOMO_MEMORIES } from '../support/locomo.js';
import { until } from '../support/until.js';
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

describe.each(DATABASES)('narrative-mcp serve --stdio for a LoCoMo user on %s', (kind) => {
  let client: Client;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const environment = await cliEnvironment(kind);
    cleanup = environment.cleanup;
    const imported = await runCli(['import', LOCOMO_MEMORIES], environment.env);
    expect(imported.code).toBe(0);
    client = new Client({ name: 'stdio-locomo-test', version: '0.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [CLI_PATH, 'serve', '--stdio', '--user', 'locomo-30-gina'],
        env: environment.env,
        stderr: 'pipe',
      }),
    );
  });
  afterAll(async () => {
    await client.close();
    await cleanup();
  });

  it('answers the first conversation with a deep analysis, then from the cached narrative', async () => {
    const first = await callTool(client, 'orchestrate_smart_context', { user_message: 'How is the dance studio going?' });
    expect(first.structuredContent).toMatchObject({ source: 'deep_analysis', generation_scheduled: true });

    await until(async () => {
      const status = await callTool(client, 'narrative_status', {});
      return (status.structuredContent as { narrative: unknown; job: string }).narrative !== null;
    });
    const second = await callTool(client, 'orchestrate_smart_context', { user_message: 'How is the dance studio going?' });
    expect(second.structuredContent).toMatchObject({ source: 'cache', narrative: { version: 1, stale: false } });
    expect(textOf(second)).toContain('Selected from 83 memories without an LLM');
    const memories = (second.structuredContent as { memories: { content: string }[] }).memories;
    expect(memories[0]!.content.toLowerCase()).toContain('dance');
  });

  it('offers the narrative as a resource and as a prompt', async () => {
    const resource = await client.readResource({ uri: 'narrative://me' });
    expect(resource.contents[0]).toMatchObject({ uri: 'narrative://me', mimeType: 'text/markdown' });
    const prompt = await client.getPrompt({ name: 'user_context' });
    expect(prompt.messages[0]!.content).toMatchObject({ type: 'text' });
    expect(JSON.stringify(prompt.messages)).toContain('narrative v1');
  });
});
