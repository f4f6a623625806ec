import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { ErrorCode, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { Router } from 'express';
import type { Logger } from 'pino';
import type { NarrativeEngine } from '../../engine/narrative-engine.js';
import { ownerOfRequest } from '../request-user.js';
import { createSessionServer } from './create-session-server.js';
import type { McpRoutes } from './mcp-streamable-routes.js';

/** The legacy HTTP+SSE transport (`GET /sse`, `POST /messages?sessionId=…`) for older clients. */
export function mcpSseRoutes(engine: NarrativeEngine, logger: Logger): McpRoutes {
  const sessions = new Map<string, { transport: SSEServerTransport; userId: string }>();
  const router = Router();

  router.get('/sse', async (req, res) => {
    const owner = ownerOfRequest(req);
    const transport = new SSEServerTransport('/messages', res);
    sessions.set(transport.sessionId, { transport, userId: owner.id });
    res.on('close', () => sessions.delete(transport.sessionId));
    const server = createSessionServer(engine, logger, owner);
    await server.connect(transport);
  });

  router.post('/messages', async (req, res) => {
    const sessionId = typeof req.query.sessionId === 'string' ? req.query.sessionId : '';
    const session = sessions.get(sessionId);
    if (!session || session.userId !== ownerOfRequest(req).id) {
      res.status(404).json({ jsonrpc: '2.0', error: { code: -32000, message: 'Session not found; open /sse again.' }, id: null });
      return;
    }
    // Checked here: the SDK answers a message it cannot read by quoting it, and quoting deeply nested
    // arrays (`String(body)`) takes time quadratic in their depth, long enough to stall the server.
    const message = JSONRPCMessageSchema.safeParse(req.body);
    if (!message.success) {
      res.status(400).json({ jsonrpc: '2.0', error: { code: ErrorCode.InvalidRequest, message: 'The body is not a JSON-RPC message.' }, id: null });
      return;
    }
    await session.transport.handlePostMessage(req, res, message.data);
  });

  return {
    router,
    closeAll: async () => {
      await Promise.allSettled([...sessions.values()].map((session) => session.transport.close()));
      sessions.clear();
    },
  };
}
