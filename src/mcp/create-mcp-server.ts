import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ToolContext } from './tool-context.js';
import { registerAddMemoriesTool } from './tools/add-memories-tool.js';
import { registerSearchMemoriesTool } from './tools/search-memories-tool.js';
import { PACKAGE_VERSION } from '../app/package-version.js';

/** One MCP server with every tool; the transport is chosen by the caller. */
export function createMcpServer(context: ToolContext): McpServer {
  const server = new McpServer(
    { name: 'narrative-mcp', version: PACKAGE_VERSION },
    {
      capabilities: { logging: {} },
      instructions:
        'narrative-mcp keeps long-term memories about the user. Store new facts the user shares with add_memories; ' +
        'recall specific facts with search_memories.',
    },
  );
  registerAddMemoriesTool(server, context);
  registerSearchMemoriesTool(server, context);
  return server;
}
