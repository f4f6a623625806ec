/**
 * The protocol floor of a cache hit: an McpServer of the project's MCP SDK with our eight tools and
 * their schemas (registered by our own registration functions), answering `orchestrate_smart_context`
 * with one cache-hit answer captured from our server, whatever the message, and nothing else: no
 * database, no engine, no logging. What a call costs here is what the protocol costs.
 *
 *   node --import tsx bench/floor/floor-server.ts --answer <answer.json> --stdio
 *   node --import tsx bench/floor/floor-server.ts --answer <answer.json> --http --port <port> --key <key>
 *
 * The answer file holds the `tools/call` result as our server sent it (`content` and `structuredContent`).
 * Over HTTP: express 5, `express.json()`, the SDK's Streamable HTTP transport with sessions, and a
 * constant bearer key; `GET /healthz` says when it listens.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import express, { type Request, type Response } from 'express';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/config.js';
import type { SmartContext } from '../../src/engine/context-service.js';
import type { NarrativeEngine } from '../../src/engine/narrative-engine.js';
import type { ToolContext } from '../../src/mcp/tool-context.js';
import { registerAddMemoriesTool } from '../../src/mcp/tools/add-memories-tool.js';
import { registerDeleteMemoriesTool } from '../../src/mcp/tools/delete-memories-tool.js';
import { registerListMemoriesTool } from '../../src/mcp/tools/list-memories-tool.js';
import { registerNarrativeStatusTool } from '../../src/mcp/tools/narrative-status-tool.js';
import { registerOrchestrateSmartContextTool } from '../../src/mcp/tools/orchestrate-smart-context-tool.js';
import { registerRegenerateNarrativeTool } from '../../src/mcp/tools/regenerate-narrative-tool.js';
import { registerSearchMemoriesTool } from '../../src/mcp/tools/search-memories-tool.js';
import { registerUpdateMemoriesTool } from '../../src/mcp/tools/update-memories-tool.js';

const USAGE = 'usage: floor-server.ts --answer <answer.json> (--stdio | --http --port <port> --key <key>)';

const options = (() => {
  try {
    const { values } = parseArgs({
      options: { answer: { type: 'string' }, stdio: { type: 'boolean' }, http: { type: 'boolean' }, port: { type: 'string' }, key: { type: 'string' } },
      strict: true,
    });
    if (!values.answer) throw new Error('--answer is required');
    if (values.stdio === values.http) throw new Error('give one of --stdio and --http');
    if (values.http && (!values.key || !/^\d+$/.test(values.port ?? ''))) throw new Error('--http needs --port <number> and --key <key>');
    return { answer: values.answer, http: values.http ? { port: Number(values.port), key: values.key! } : null };
  } catch (error) {
    console.error(`floor-server: ${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
})();

const captured = JSON.parse(readFileSync(options.answer, 'utf8')) as CallToolResult;
const [first] = captured.content;
if (captured.content.length !== 1 || first?.type !== 'text' || !captured.structuredContent) {
  console.error(`floor-server: ${options.answer} is not an orchestrate_smart_context answer (one text part and structured content)`);
  process.exit(2);
}
// Our tool answers `{ content: [{ type: 'text', text }], structuredContent: rest }` from this, so the floor sends the same bytes.
const answer = { text: first.text, ...captured.structuredContent } as unknown as SmartContext;

// Only what the tool registrations read: the context call the floor answers, and the longest memory
// the add_memories and update_memories schemas allow (from the same environment as our server, so
// the schemas are the same).
const engine = {
  context: { orchestrate: async () => answer },
  memories: { maxMemoryChars: loadConfig(process.env).MAX_MEMORY_CHARS },
} as unknown as NarrativeEngine;
const user = { id: 'floor', externalId: 'floor' };
const toolContext: ToolContext = { engine, logger: pino({ enabled: false }), resolveUser: async () => user };

function createFloorServer(): McpServer {
  const server = new McpServer({ name: 'narrative-mcp-floor', version: '0.0.0' });
  registerOrchestrateSmartContextTool(server, toolContext);
  registerAddMemoriesTool(server, toolContext);
  registerSearchMemoriesTool(server, toolContext);
  registerListMemoriesTool(server, toolContext);
  registerUpdateMemoriesTool(server, toolContext);
  registerDeleteMemoriesTool(server, toolContext);
  registerRegenerateNarrativeTool(server, toolContext);
  registerNarrativeStatusTool(server, toolContext);
  return server;
}

if (options.http) serveHttp(options.http.port, options.http.key);
else await serveStdio();

async function serveStdio(): Promise<void> {
  process.stdin.once('end', () => process.exit(0));
  await createFloorServer().connect(new StdioServerTransport());
}

function serveHttp(port: number, key: string): void {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const app = express();
  app.get('/healthz', (_req, res) => void res.send('ok'));
  app.use('/mcp', (req, res, next) => {
    if (req.headers.authorization === `Bearer ${key}`) next();
    else res.status(401).json({ error: 'unauthorized' });
  });
  app.use('/mcp', express.json());

  const handleInSession = async (req: Request, res: Response) => {
    const transport = sessions.get(req.header('mcp-session-id') ?? '');
    if (!transport) {
      res.status(404).json({ jsonrpc: '2.0', error: { code: -32000, message: 'Session not found' }, id: null });
      return;
    }
    await transport.handleRequest(req, res, req.body);
  };
  app.post('/mcp', async (req, res) => {
    if (req.header('mcp-session-id')) return handleInSession(req, res);
    if (!isInitializeRequest(req.body)) {
      res.status(400).json({ jsonrpc: '2.0', error: { code: -32000, message: 'Start with an initialize request.' }, id: null });
      return;
    }
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sessionId) => void sessions.set(sessionId, transport),
    });
    transport.onclose = () => void (transport.sessionId && sessions.delete(transport.sessionId));
    await createFloorServer().connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
  app.get('/mcp', handleInSession);
  app.delete('/mcp', handleInSession);
  app.listen(port, '127.0.0.1', (error) => {
    if (error) {
      console.error(`floor-server: cannot listen on 127.0.0.1:${port}: ${error.message}`);
      process.exit(1);
    }
  });
}
