import type { App } from '../../src/app/app.js';
import { startHttpServer } from '../../src/http/start-http-server.js';
import type { SoakServer } from './soak-server.js';

/**
 * The HTTP server inside this process, on loopback, for a short soak that must start in a second
 * (an in-memory database needs no second process); its memory figures include the clients'.
 */
export async function startInProcessSoakServer(app: App): Promise<SoakServer> {
  const server = await startHttpServer(app, { host: '127.0.0.1', port: 0 });
  let stopped = false;
  const megabytes = (bytes: number) => Math.round(bytes / 1e5) / 10;
  return {
    url: server.url,
    exited: () => (stopped ? { code: 0, signal: null } : undefined),
    memory: async () => ({ rssMb: megabytes(process.memoryUsage().rss), heapUsedMb: megabytes(process.memoryUsage().heapUsed) }),
    stderr: () => '',
    stop: async () => {
      await server.close();
      stopped = true;
      return 0;
    },
  };
}
