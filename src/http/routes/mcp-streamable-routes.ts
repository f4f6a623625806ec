import { randomUUID } from 'node:crypto';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { Clock } from '../../clock/clock.js';
import type { NarrativeEngine } from '../../engine/narrative-engine.js';
import { ownerOfRequest } from '../request-user.js';
import { createSessionServer } from './create-session-server.js';
import { StreamableSessionRegistry, type StreamableSession } from './streamable-session-registry.js';

export interface McpRoutes {
  router: Router;
  /** Closes every open session (at shutdown). */
  closeAll(): Promise<void>;
}

/**
 * MCP over Streamable HTTP at `/mcp`. A session belongs to the user whose key opened it; a
 * request for it with another user's key is answered as if it did not exist. Sessions their
 * clients abandoned are closed (see `StreamableSessionRegistry`).
 */
export function mcpStreamableRoutes(engine: NarrativeEngine, logger: Logger, clock: Clock): McpRoutes {
  const sessions = new StreamableSessionRegistry({ clock });
  const router = Router();

  const sessionOf = (req: Request, res: Response): [string, StreamableSession] | undefined => {
    const sessionId = req.header('mcp-session-id');
    const session = sessionId ? sessions.use(sessionId) : undefined;
    if (!sessionId || !session || session.userId !== ownerOfRequest(req).id) {
      res.status(sessionId ? 404 : 400).json({
        jsonrpc: '2.0',
        error: { code: -32000, message: sessionId ? 'Session not found; initialize a new one.' : 'Missing Mcp-Session-Id header.' },
        id: null,
      });
      return undefined;
    }
    return [sessionId, session];
  };

  router.post('/mcp', async (req, res) => {
    if (req.header('mcp-session-id')) {
      const found = sessionOf(req, res);
      if (found) await found[1].transport.handleRequest(req, res, req.body);
      return;
    }
    if (!isInitializeRequest(req.body)) {
      res.status(400).json({ jsonrpc: '2.0', error: { code: -32000, message: 'Start with an initialize request.' }, id: null });
      return;
    }
    const owner = ownerOfRequest(req);
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sessionId) => sessions.add(sessionId, transport, owner.id),
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    const server = createSessionServer(engine, logger, owner);
    await server.connect(transport);
    try {
      await transport.handleRequest(req, res, req.body);
    } finally {
      // A start the transport refused (wrong Accept or Content-Type) opened no session, so
      // nothing else would ever close this server and detach it from the engine's events.
      if (!transport.sessionId) await server.close();
    }
  });

  router.get('/mcp', async (req, res) => {
    const found = sessionOf(req, res);
    if (!found) return;
    const [sessionId, session] = found;
    sessions.streamOpened(session);
    res.on('close', () => sessions.streamClosed(sessionId, session));
    await session.transport.handleRequest(req, res);
  });

  router.delete('/mcp', async (req, res) => {
    const found = sessionOf(req, res);
    if (found) await found[1].transport.handleRequest(req, res);
  });

  return {
    router,
    closeAll: async () => {
      await Promise.allSettled(sessions.all().map((session) => session.transport.close()));
    },
  };
}
