import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { App } from '../../app/app.js';
import { shutdownSignal } from '../../app/shutdown-signal.js';
import { withRefreshScheduler } from '../../operations/with-refresh-scheduler.js';
import { parseExternalId } from '../resolve-user.js';
import { runWithApp } from '../run-with-app.js';

interface ServeOptions {
  stdio?: boolean;
  http?: boolean;
  user?: string;
  host?: string;
  port?: number;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description(
      'Run the MCP server: over stdio for one local user (the default), or over HTTP for many users with bearer keys ' +
        '(Streamable HTTP at /mcp, SSE at /sse, the REST API at /api/v1, the dashboard at /).',
    )
    .option('--stdio', 'serve over stdin/stdout, for Claude Desktop, Claude Code, Cursor and the MCP Inspector')
    .option('--user <user>', 'with --stdio: the user this server acts for (default: $NARRATIVE_USER, else "local")')
    .option('--http', 'serve over HTTP')
    .option('--host <host>', 'with --http: the address to listen on (default: $HTTP_HOST, else 127.0.0.1)')
    .option('--port <port>', 'with --http: the port (default: $HTTP_PORT, else 8765)', port)
    .action(async (options: ServeOptions) => {
      if (options.http && options.stdio) throw new InvalidArgumentError('choose one of --stdio and --http');
      if (options.http) {
        await runWithApp((app) => withRefreshScheduler(app, () => serveHttp(app, options)), { serves: true });
        return;
      }
      // Anything printed to stdout would corrupt the JSON-RPC stream; send stray console output to stderr.
      console.log = console.error;
      console.info = console.error;
      // Loaded only here: a stdio server (of which a machine may run several) holds no HTTP stack.
      const { serveStdio } = await import('../../mcp/serve-stdio.js');
      await runWithApp((app) => withRefreshScheduler(app, () => serveStdio(app, parseExternalId(options.user ?? app.config.NARRATIVE_USER))), {
        serves: true,
      });
    });
}

async function serveHttp(app: App, options: ServeOptions): Promise<void> {
  const firstKey = await createFirstKey(app);
  const { startHttpServer } = await import('../../http/start-http-server.js');
  const server = await startHttpServer(app, { host: options.host ?? app.config.HTTP_HOST, port: options.port ?? app.config.HTTP_PORT });
  app.logger.info({ url: server.url, database: app.database.kind, location: app.database.location }, 'serving HTTP');
  console.error(
    [
      `narrative-mcp is listening on ${server.url} (${app.database.kind} database at ${app.database.location})`,
      `  MCP (Streamable HTTP): ${server.url}/mcp    MCP (SSE, legacy): ${server.url}/sse`,
      `  REST API: ${server.url}/api/v1    dashboard: ${server.url}/    health: ${server.url}/healthz    metrics: ${server.url}/metrics`,
      firstKey
        ? `  There were no keys yet, so user "${firstKey.user}" got this one (shown once; use it in the dashboard):\n  ${firstKey.key}`
        : '  Every request needs a key: narrative-mcp keys create --user ID',
    ].join('\n'),
  );
  const reason = await shutdownSignal();
  app.logger.info({ reason }, 'shutting down');
  await server.close();
}

/** On a server without any key, one for the default user, so the dashboard can be opened at once. */
async function createFirstKey(app: App): Promise<{ user: string; key: string } | undefined> {
  if (await app.repositories.apiKeys.hasAny()) return undefined;
  const user = await app.repositories.users.getOrCreate(parseExternalId(app.config.NARRATIVE_USER));
  const { key } = await app.repositories.apiKeys.create(user.id, 'created at first start');
  return { user: user.external_id, key };
}

function port(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0 || number > 65_535) throw new InvalidArgumentError('expected a port number from 0 to 65535');
  return number;
}
