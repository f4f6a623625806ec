import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/app.js';
import { createMcpServer } from '../../src/mcp/create-mcp-server.js';
import { openTestApp } from '../support/test-app.js';

/** The SDK keeps what each tool was registered with; its fields are ours to compare, not to use. */
type ToolRegistrations = Record<string, { inputSchema?: { shape: Record<string, unknown> }; outputSchema?: { shape: Record<string, unknown> } }>;
const registrations = (server: McpServer) => (server as unknown as { _registeredTools: ToolRegistrations })._registeredTools;

describe("each session's MCP server", () => {
  let app: App;

  beforeAll(async () => {
    app = await openTestApp('pglite');
  });
  afterAll(() => app.close());

  it("shares the tools' schemas with every other session instead of building its own", () => {
    const context = { engine: app.engine, logger: app.logger, resolveUser: async () => ({ id: 'u', externalId: 'u' }) };
    const first = registrations(createMcpServer(context));
    const second = registrations(createMcpServer(context));
    expect(Object.keys(first)).toHaveLength(8);
    for (const [name, tool] of Object.entries(first)) {
      const other = second[name]!;
      for (const field of Object.keys(tool.inputSchema?.shape ?? {})) expect(other.inputSchema!.shape[field], `${name}.${field}`).toBe(tool.inputSchema!.shape[field]);
      for (const field of Object.keys(tool.outputSchema?.shape ?? {})) expect(other.outputSchema!.shape[field], `${name}.${field}`).toBe(tool.outputSchema!.shape[field]);
    }
  });
});
