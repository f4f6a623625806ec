import cluster from 'node:cluster';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { App } from '../../app/app.js';
import { shutdownSignal } from '../../app/shutdown-signal.js';
import { loadConfig } from '../../config/config.js';
import { createLogger } from '../../logging/create-logger.js';
import { FIRST_WORKER_VARIABLE, SHUTDOWN_MESSAGE, superviseHttpWorkers, workerCount } from '../http-workers.js';
import { withRefreshScheduler } from '../../operations/with-refresh-scheduler.js';
import { parseExternalId } from '../resolve-user.js';
import type { CliProcess } from '../cli-process.js';
import { runWithApp } from '../run-with-app.js';

interface ServeOptions {
  stdio?: boolean;
  http?: boolean;
  user?: string;
  host?: string;
  port?: number;
  workers?: number | 'auto';
}

export function registerServeCommand(program: Command, cli: CliProcess): void {
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
    .option(
      '--workers <n>',
      'with --http: processes sharing the port, "auto" for one per core (default: $HTTP_WORKERS, else 1); more than one keeps no MCP sessions',
      workers,
    )
    .action(async (options: ServeOptions) => {
      if (options.http && options.stdio) throw new InvalidArgumentError('choose one of --stdio and --http');
      if (options.workers !== undefined && !options.http) throw new InvalidArgumentError('--workers goes with --http');
      if (options.http) {
        const config = loadConfig(cli.env);
        const count = workerCount(options.workers ?? config.HTTP_WORKERS);
        if (count > 1 && cluster.isPrimary) {
          cli.exitCode = await superviseHttpWorkers(count, createLogger(config.LOG_LEVEL, cli.logDestination()));
          return;
        }
        // Listened for from the start: a worker told to stop while it starts stops once started.
        const stopped = shutdownSignal(cluster.isWorker ? [{ emitter: process, event: 'message', name: SHUTDOWN_MESSAGE }] : []);
        await runWithApp(cli, (app) => withRefreshScheduler(app, () => serveHttp(app, cli, options, count, stopped)), { serves: true });
        // A worker's channel to its supervisor would keep it running.
        if (cluster.isWorker) process.disconnect();
        return;
      }
      // Anything printed to stdout would corrupt the JSON-RPC stream; send stray console output to stderr.
      console.log = console.error;
      console.info = console.error;
      // Loaded only here: a stdio server (of which a machine may run several) holds no HTTP stack.
      const { serveStdio } = await import('../../mcp/serve-stdio.js');
      await runWithApp(cli, (app) => withRefreshScheduler(app, () => serveStdio(app, parseExternalId(options.user ?? app.config.NARRATIVE_USER))), {
        serves: true,
      });
    });
}

async function serveHttp(app: App, cli: CliProcess, options: ServeOptions, workerCount: number, stopped: Promise<string>): Promise<void> {
  // Of several workers, one speaks for them all.
  const speaks = cluster.isPrimary || cli.env[FIRST_WORKER_VARIABLE] === '1';
  const firstKey = speaks ? await createFirstKey(app) : undefined;
  const { startHttpServer } = await import('../../http/start-http-server.js');
  const server = await startHttpServer(app, {
    host: options.host ?? app.config.HTTP_HOST,
    port: options.port ?? app.config.HTTP_PORT,
    ...(cluster.isWorker ? { sessions: 'stateless' as const } : {}),
  });
  app.logger.info({ url: server.url, database: app.database.kind, location: app.database.location }, 'serving HTTP');
  if (speaks) printBanner(app, cli, server.url, workerCount, firstKey);
  const reason = await stopped;
  app.logger.info({ reason }, 'shutting down');
  await server.close();
}

function printBanner(app: App, cli: CliProcess, url: string, workerCount: number, firstKey: { user: string; key: string } | undefined): void {
  const processes = workerCount > 1 ? `, ${workerCount} worker processes without MCP sessions` : '';
  const sse = workerCount > 1 || app.config.HTTP_SESSIONS === 'stateless' ? '' : `    MCP (SSE, legacy): ${url}/sse`;
  cli.printError(
    [
      `narrative-mcp is listening on ${url} (${app.database.kind} database at ${app.database.location}${processes})`,
      `  MCP (Streamable HTTP): ${url}/mcp${sse}`,
      `  REST API: ${url}/api/v1    dashboard: ${url}/    health: ${url}/healthz    metrics: ${url}/metrics`,
      firstKey
        ? `  There were no keys yet, so user "${firstKey.user}" got this one (shown once; use it in the dashboard):\n  ${firstKey.key}`
        : '  Every request needs a key: narrative-mcp keys create --user ID',
    ].join('\n'),
  );
}

/** On a server without any key, one for the default user, so the dashboard can be opened at once. */
async function createFirstKey(app: App): Promise<{ user: string; key: string } | undefined> {
  if (await app.repositories.apiKeys.hasAny()) return undefined;
  const user = await app.repositories.users.getOrCreate(parseExternalId(app.config.NARRATIVE_USER));
  const { key } = await app.repositories.apiKeys.create(user.id, 'created at first start');
  return { user: user.external_id, key };
}

function workers(value: string): number | 'auto' {
  if (value === 'auto') return value;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > 256) throw new InvalidArgumentError('expected auto or a number of processes from 1 to 256');
  return number;
}

function port(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0 || number > 65_535) throw new InvalidArgumentError('expected a port number from 0 to 65535');
  return number;
}
