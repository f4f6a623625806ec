import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Logger } from 'pino';
import type { NarrativeEngine } from '../../engine/narrative-engine.js';
import { createMcpServer, type McpServerOptions } from '../../mcp/create-mcp-server.js';
import { keyOwnerOf, type KeyOwner } from '../request-user.js';

/** The MCP server of one HTTP session: every request acts for the owner of the request's key. */
export function createSessionServer(engine: NarrativeEngine, logger: Logger, owner: KeyOwner, options: McpServerOptions = {}): McpServer {
  return createMcpServer(
    {
      engine,
      logger: logger.child({ user: owner.externalId }),
      resolveUser: async (extra) => keyOwnerOf(extra.authInfo),
    },
    options,
  );
}
