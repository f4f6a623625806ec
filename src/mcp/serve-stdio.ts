import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { App } from '../app/app.js';
import { shutdownSignal } from '../app/shutdown-signal.js';
import { createMcpServer } from './create-mcp-server.js';

/**
 * Serves one local user over stdio until the client closes stdin or a signal arrives.
 * Resolves once the server has shut down.
 */
export async function serveStdio(app: App, externalId: string): Promise<void> {
  const user = await app.repositories.users.getOrCreate(externalId);
  const requestUser = { id: user.id, externalId: user.external_id };
  const server = createMcpServer({
    engine: app.engine,
    logger: app.logger.child({ user: user.external_id }),
    resolveUser: async () => requestUser,
  });
  const transport = new StdioServerTransport();
  const closed = shutdownSignal([{ emitter: process.stdin, event: 'end', name: 'stdin closed' }]);
  await server.connect(transport);
  app.logger.info(
    { user: user.external_id, database: app.database.kind, location: app.database.location },
    'serving MCP over stdio',
  );
  const reason = await closed;
  app.logger.info({ reason }, 'shutting down');
  await server.close();
}
