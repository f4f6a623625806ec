import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App } from '../app/app.js';
import { MINUTE_MS } from '../clock/durations.js';
import { createHttpApp, type HttpAppOptions } from './create-http-app.js';
import { publicUrlOf } from './oauth/oauth-urls.js';

export interface RunningHttpServer {
  url: string;
  /** The Node HTTP server itself, e.g. to watch its connections. */
  node: Server;
  /** Stops accepting connections, closes MCP sessions and open connections. */
  close(): Promise<void>;
}

export async function startHttpServer(
  app: App,
  options: { host: string; port: number } & Partial<HttpAppOptions>,
): Promise<RunningHttpServer> {
  const server = createServer();
  // Bounded request reading, so a slow client cannot hold a connection open forever.
  server.requestTimeout = MINUTE_MS;
  server.headersTimeout = 20_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  // Built once the port is known: with port 0 the public URL (and so the OAuth metadata) names the port bound.
  const http = createHttpApp(app, () => address.port, publicUrlOf(app.config.HTTP_PUBLIC_URL, options.host, address.port), {
    sessions: options.sessions ?? app.config.HTTP_SESSIONS,
  });
  server.on('request', http.express);
  return {
    url: `http://${host}:${address.port}`,
    node: server,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await http.closeSessions();
      server.closeIdleConnections();
      server.closeAllConnections();
      await closed;
    },
  };
}
