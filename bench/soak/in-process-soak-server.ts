import type { App } from '../../src/app/app.js';
import { startHttpServer } from '../../src/http/start-http-server.js';
import { readWasmResident } from './read-wasm-resident.js';
import type { SoakServer } from './soak-server.js';
import { toMegabytes } from './to-megabytes.js';

/**
 * The HTTP server inside this process, on loopback, for a short soak that must start in a second
 * (an in-memory database needs no second process); its memory figures include the clients'.
 */
export async function startInProcessSoakServer(app: App): Promise<SoakServer> {
  const server = await startHttpServer(app, { host: '127.0.0.1', port: 0 });
  let stopped = false;
  return {
    url: server.url,
    exited: () => (stopped ? { code: 0, signal: null } : undefined),
    memory: async () => {
      const usage = process.memoryUsage();
      const tier = app.engine.tier.size;
      const wasm = await readWasmResident(process.pid);
      return {
        rssMb: toMegabytes(usage.rss),
        heapUsedMb: toMegabytes(usage.heapUsed),
        heapTotalMb: toMegabytes(usage.heapTotal),
        heapAfterGcMb: null,
        externalMb: toMegabytes(usage.external),
        wasmRssMb: wasm === null ? null : toMegabytes(wasm),
        hotTierMb: toMegabytes(tier.bytes),
        hotTierUsers: tier.users,
        allocatedMb: null,
        gcPauseMs: null,
        cpuSeconds: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
      };
    },
    stderr: () => '',
    stop: async () => {
      await server.close();
      stopped = true;
      return 0;
    },
  };
}
