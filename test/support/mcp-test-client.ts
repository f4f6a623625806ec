import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';

/** A real MCP SDK client linked in process to the server. */
export async function connectInProcess(server: McpServer): Promise<Client> {
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'narrative-mcp-test', version: '0.0.0' });
  await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
  return client;
}

/** A real MCP SDK client of the server at `baseUrl`, over Streamable HTTP or the legacy SSE transport, with `key` as bearer. */
export async function connectOverHttp(baseUrl: string, key: string, transport: 'streamable' | 'sse', name = 'narrative-mcp-test'): Promise<Client> {
  const requestInit = { headers: { Authorization: `Bearer ${key}` } };
  const client = new Client({ name, version: '0.0.0' });
  await client.connect(
    transport === 'streamable'
      ? new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), { requestInit })
      : new SSEClientTransport(new URL(`${baseUrl}/sse`), {
          requestInit,
          // EventSource sends no headers of its own: the key goes with every fetch it makes.
          eventSourceInit: { fetch: (url, init) => fetch(url, { ...init, headers: { ...init?.headers, ...requestInit.headers } }) },
        }),
  );
  return client;
}

export async function callTool(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

export function textOf(result: CallToolResult): string {
  return result.content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');
}
