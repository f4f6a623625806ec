import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { PACKAGE_VERSION } from '../app/package-version.js';
import { registerNarrativeResource } from './narrative-resource.js';
import type { ToolContext } from './tool-context.js';
import { registerAddMemoriesTool } from './tools/add-memories-tool.js';
import { registerDeleteMemoriesTool } from './tools/delete-memories-tool.js';
import { registerListMemoriesTool } from './tools/list-memories-tool.js';
import { registerNarrativeStatusTool } from './tools/narrative-status-tool.js';
import { registerOrchestrateSmartContextTool } from './tools/orchestrate-smart-context-tool.js';
import { registerRegenerateNarrativeTool } from './tools/regenerate-narrative-tool.js';
import { registerSearchMemoriesTool } from './tools/search-memories-tool.js';
import { registerUpdateMemoriesTool } from './tools/update-memories-tool.js';
import { registerUserContextPrompt } from './user-context-prompt.js';

/**
 * The SDK's JSON Schema validator, shared by every server of the process: each server would
 * otherwise build an Ajv instance of its own, which without sessions means one per request.
 */
const JSON_SCHEMA_VALIDATOR = new AjvJsonSchemaValidator();

export interface McpServerOptions {
  /**
   * Offer subscriptions to the narrative resource (default true). They need a session that
   * outlives the request, to send notifications on: a server without sessions does not offer them.
   */
  subscriptions?: boolean;
}

/** One MCP server (one session) with every tool, the narrative resource and prompt. */
export function createMcpServer(context: ToolContext, { subscriptions = true }: McpServerOptions = {}): McpServer {
  const server = new McpServer(
    { name: 'narrative-mcp', version: PACKAGE_VERSION },
    {
      capabilities: { logging: {} },
      jsonSchemaValidator: JSON_SCHEMA_VALIDATOR,
      instructions:
        'narrative-mcp remembers the user across conversations. At the start of every conversation call ' +
        'orchestrate_smart_context with the first message to learn who the user is. Store new facts the user shares ' +
        'with add_memories, correct them with update_memories; recall specifics with search_memories.',
    },
  );
  registerOrchestrateSmartContextTool(server, context);
  registerAddMemoriesTool(server, context);
  registerSearchMemoriesTool(server, context);
  registerListMemoriesTool(server, context);
  registerUpdateMemoriesTool(server, context);
  registerDeleteMemoriesTool(server, context);
  registerRegenerateNarrativeTool(server, context);
  registerNarrativeStatusTool(server, context);
  registerNarrativeResource(server, context, { subscriptions });
  registerUserContextPrompt(server, context);
  return server;
}
