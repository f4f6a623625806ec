import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

/** The MCP SDK client on a session of its own at `<url>/mcp`, as the owner of `key`. */
export async function connectHttp(url: string, key: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', url), {
    requestInit: { headers: { Authorization: `Bearer ${key}` } },
  });
  const client = new Client({ name: 'narrative-mcp-bench', version: '0.0.0' });
  await client.connect(transport);
  return client;
}

/** The id of the session a client connected with `connectHttp` is on; a server without sessions gives none, which is an error here. */
export function sessionIdOf(client: Client): string {
  const sessionId = (client.transport as { sessionId?: string } | undefined)?.sessionId;
  if (!sessionId) throw new Error('bench: an SDK client over HTTP has no session id');
  return sessionId;
}
