import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App } from '../app/app.js';
import { MINUTE_MS } from '../clock/durations.js';
import { createHttpApp } from './create-http-app.js';

export interface RunningHttpServer {
  url: string;
  /** The Node HTTP server itself, e.g. to watch its connections. */
  node: Server;
  /** Stops accepting connections, closes MCP sessions and open connections. */
  close(): Promise<void>;
}

export async function startHttpServer(app: App, options: { host: string; port: number }): Promise<RunningHttpServer> {
  let server: Server | undefined;
  const http = createHttpApp(app, () => (server?.address() as AddressInfo | null)?.port ?? options.port);
  server = createServer(http.express);
  // Bounded request reading, so a slow client cannot hold a connection open forever.
  server.requestTimeout = MINUTE_MS;
  server.headersTimeout = 20_000;
  const listening = server;
  await new Promise<void>((resolve, reject) => {
    listening.once('error', reject);
    listening.listen(options.port, options.host, () => {
      listening.off('error', reject);
      resolve();
    });
  });
  const address = listening.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    node: listening,
    close: async () => {
      const closed = new Promise<void>((resolve) => listening.close(() => resolve()));
      await http.closeSessions();
      listening.closeIdleConnections();
      listening.closeAllConnections();
      await closed;
    },
  };
}
