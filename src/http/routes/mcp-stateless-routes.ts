import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { Router, type Response } from 'express';
import type { Logger } from 'pino';
import type { NarrativeEngine } from '../../engine/narrative-engine.js';
import { ownerOfRequest } from '../request-user.js';
import { createSessionServer } from './create-session-server.js';
import { IdleServerPool } from './idle-server-pool.js';
import type { McpRoutes } from './mcp-streamable-routes.js';

/**
 * MCP over Streamable HTTP at `/mcp` without sessions: every POST is answered on a transport of
 * its own by a server acting for the owner of the request's key, and nothing of the request
 * outlives it (the server, once closed, waits in a pool for the user's next request). So any
 * process behind one port can answer any request. A call's progress still reaches the client on
 * that call's own response stream; what needs a session (a GET stream for notifications, resource
 * subscriptions, `Mcp-Session-Id`) is not offered.
 */
export function mcpStatelessRoutes(engine: NarrativeEngine, logger: Logger): McpRoutes {
  const router = Router();
  const open = new Set<StreamableHTTPServerTransport>();
  const idle = new IdleServerPool();

  router.post('/mcp', async (req, res) => {
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    const owner = ownerOfRequest(req);
    const server = idle.take(owner.id, () => createSessionServer(engine, logger, owner, { subscriptions: false }));
    open.add(transport);
    res.on('close', () => {
      open.delete(transport);
      server.close().then(
        () => idle.give(owner.id, server),
        () => undefined,
      );
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });

  const withoutSessions = (_req: unknown, res: Response) => {
    res
      .status(405)
      .set('Allow', 'POST')
      .json({ jsonrpc: '2.0', error: { code: -32000, message: 'This server keeps no MCP sessions: send every request as a POST.' }, id: null });
  };
  router.get('/mcp', withoutSessions);
  router.delete('/mcp', withoutSessions);

  return {
    router,
    closeAll: async () => {
      await Promise.allSettled([...open].map((transport) => transport.close()));
    },
  };
}
