import { cpus, totalmem } from 'node:os';
import pino from 'pino';
import { openApp } from '../../src/app/app.js';
import { loadConfig } from '../../src/config/config.js';
import type { DatabaseKind } from '../../src/db/open-database.js';
import { LatencyRecorder, type SoakWindow } from './latency-recorder.js';
import { describeError } from './describe-error.js';
import { runSoakClient, type SoakOperation } from './soak-client.js';
import { startInProcessSoakServer } from './in-process-soak-server.js';
import { createSoakDatabase, missingMemories, prepareSoakUsers, withSoakApp, type SoakSeed, type SoakUsers } from './soak-database.js';
import { startSoakServer, type SoakServer } from './soak-server.js';
import { summarizeMemory, type MemorySummary } from './summarize-memory.js';

export interface SoakOptions {
  seconds: number;
  clients: number;
  database: DatabaseKind;
  /** The PostgreSQL server to create the throw-away database on. */
  adminUrl?: string | undefined;
  /** Mean pause between one client's requests. */
  thinkMs?: number;
  /** Length of one measurement window. */
  windowSeconds?: number;
  /**
   * Serve from this process on an in-memory database instead of a `serve --http` process (for the
   * short soak in CI, which must start fast); memory figures then include the clients'.
   */
  inProcess?: boolean;
  /** What the regular users start with (default `locomo`, 82–172 memories each). */
  seed?: SoakSeed;
  /** Only this kind of request instead of the mix, to measure one kind alone. */
  only?: SoakOperation | undefined;
  /** Flags for the server's node, e.g. `--heap-prof`, `--cpu-prof`. */
  nodeFlags?: readonly string[];
  /** Another build's `bin/narrative-mcp.js` to serve with (default: this one's). */
  serverCli?: string | undefined;
  log?: (line: string) => void;
}

export interface SoakResult {
  date: string;
  database: DatabaseKind;
  seconds: number;
  clients: number;
  thinkMs: number;
  seed: SoakSeed;
  only: SoakOperation | null;
  machine: { cpus: number; memoryGb: number; node: string };
  setupSeconds: number;
  requests: number;
  failed: number;
  failures: Record<string, number>;
  operations: Record<string, number>;
  newcomers: { prepared: number; used: number };
  acknowledgedAdds: number;
  dataLost: number;
  /** Memories of a regular user (on average) when the load starts and when it ends: how much the run grows the data. */
  memoriesPerRegular: { start: number; end: number };
  latencyMs: { p50: number; p99: number; max: number };
  /** p99 of the windows after the warm-up (the first 10% of the run): first, last, highest. */
  p99AfterWarmUpMs: { first: number; last: number; max: number };
  rssMb: MemorySummary['rssMb'];
  heapUsedMb: MemorySummary['heapUsedMb'];
  heapTotalMb: MemorySummary['heapTotalMb'];
  heapAfterGcMb: MemorySummary['heapAfterGcMb'];
  externalMb: MemorySummary['externalMb'];
  wasmRssMb: MemorySummary['wasmRssMb'];
  hotTierMb: MemorySummary['hotTierMb'];
  hotTierUsers: MemorySummary['hotTierUsers'];
  /** V8 heap allocated per request after the warm-up (all the server's work), in kB. */
  allocatedKbPerRequest: number | null;
  /** The server's CPU time per request after the warm-up, in ms. */
  cpuMsPerRequest: number | null;
  /** Share of the time after the warm-up the server spent paused by garbage collections, in %. */
  gcPausePercent: number | null;
  serverExitCode: number | null;
  /** The end of the server's stderr when it did not exit cleanly. */
  serverStderr?: string;
  windows: SoakWindow[];
  passed: boolean;
}

/** Mixed HTTP traffic from many clients against a real `serve --http` on loopback, with the figures of every window. */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? (() => undefined);
  const thinkMs = options.thinkMs ?? 1000;
  const windowSeconds = options.windowSeconds ?? Math.max(5, Math.round(options.seconds / 20));
  // Enough users for every first conversation the mix asks for (7% of requests), with room to spare.
  const perClientPerSecond = 1000 / (thinkMs + 10);
  const seed = options.seed ?? 'locomo';
  const missShare = options.only === undefined ? 0.07 : options.only === 'miss' ? 1 : 0;
  const newcomerCount = Math.ceil(options.clients * options.seconds * perClientPerSecond * missShare * 1.3) + 10;
  const database = options.inProcess ? undefined : await createSoakDatabase(options.database, options.adminUrl);
  const limits = { HTTP_RATE_LIMIT_PER_MINUTE: '1000000', REGENERATE_PER_HOUR: '10000', LLM_CALLS_PER_MINUTE: '100000' };
  const env = { ...(database?.env ?? { NARRATIVE_DATA_DIR: 'memory://' }), ...limits };
  const inProcessApp = options.inProcess ? await openApp(loadConfig(env), pino({ level: 'silent' })) : undefined;
  try {
    const setupStarted = performance.now();
    log(`soak: preparing ${options.clients} users with narratives and ${newcomerCount} newcomers on ${options.database}…`);
    let server: SoakServer;
    let users: SoakUsers;
    if (inProcessApp) {
      users = await prepareSoakUsers(inProcessApp, options.clients, newcomerCount, seed);
      server = await startInProcessSoakServer(inProcessApp);
    } else {
      users = await withSoakApp(env, (app) => prepareSoakUsers(app, options.clients, newcomerCount, seed));
      server = await startSoakServer(env, { nodeFlags: options.nodeFlags ?? [], ...(options.serverCli ? { cli: options.serverCli } : {}) });
    }
    const { regulars, newcomers } = users;
    const setupSeconds = Math.round((performance.now() - setupStarted) / 100) / 10;
    log(`soak: ${server.url} ready after ${setupSeconds} s; ${options.clients} clients for ${options.seconds} s`);

    const recorder = new LatencyRecorder();
    const acknowledged = new Map<string, string[]>();
    let used = 0;
    const started = Date.now();
    const deadline = started + options.seconds * 1000;
    let cutting = Promise.resolve();
    let reported = false;
    const ticker = setInterval(() => {
      cutting = cutting.then(async () => {
        const window = recorder.cut(Math.round((Date.now() - started) / 1000), await server.memory());
        log(
          `soak: ${window.endSecond} s  ${window.requests} requests  ${window.failed} failed  p50 ${window.p50Ms} ms  p99 ${window.p99Ms} ms  ` +
            `RSS ${window.rssMb} MB  heap ${window.heapUsedMb} of ${window.heapTotalMb} MB (${window.heapAfterGcMb} after the last full GC)  ` +
            `external ${window.externalMb} MB  WebAssembly ${window.wasmRssMb} MB  ` +
            `tier ${window.hotTierMb} MB / ${window.hotTierUsers} users  ${window.allocatedKbPerRequest} kB allocated and ${window.cpuMsPerRequest ?? '—'} ms CPU per request  ` +
            `GC pauses ${window.gcPauseMs} ms`,
        );
        const exit = server.exited();
        if (exit && !reported) {
          reported = true;
          log(`soak: the server exited (code ${exit.code}, signal ${exit.signal}); the end of its stderr:\n${server.stderr().slice(-4_000)}`);
        }
      });
    }, windowSeconds * 1000);
    try {
      await Promise.all(
        regulars.map((user) =>
          runSoakClient({ url: server.url, user, recorder, acknowledged, deadline, thinkMs, only: options.only, nextNewcomer: () => newcomers[used++] }).catch((error: unknown) =>
            recorder.record('client', 0, `the client stopped: ${describeError(error)}`),
          ),
        ),
      );
    } finally {
      clearInterval(ticker);
      await cutting;
    }
    const previousEnd = recorder.windows.at(-1)?.endSecond ?? 0;
    const last = recorder.cut(Math.round((Date.now() - started) / 1000), await server.memory());
    // The requests still in flight at the deadline make a stub of a window: counted overall, not as a window.
    if (last.endSecond - previousEnd < windowSeconds / 2) recorder.windows.pop();
    const serverExitCode = await server.stop();
    const dataLost = inProcessApp ? await missingMemories(inProcessApp, acknowledged) : await withSoakApp(env, (app) => missingMemories(app, acknowledged));

    const overall = recorder.overall();
    const afterWarmUp = recorder.windows.filter((window) => window.endSecond > options.seconds * 0.1);
    const measured = afterWarmUp.length > 0 ? afterWarmUp : recorder.windows;
    const memory = summarizeMemory(measured);
    const allocated = measured.filter((window) => window.allocatedMb !== null);
    const allocatedMb = allocated.reduce((sum, window) => sum + window.allocatedMb!, 0);
    const allocatedRequests = allocated.reduce((sum, window) => sum + window.requests, 0);
    const p99s = measured.map((window) => window.p99Ms);
    const acknowledgedAdds = [...acknowledged.values()].reduce((sum, contents) => sum + contents.length, 0);
    const result: SoakResult = {
      date: new Date().toISOString(),
      database: options.database,
      seconds: options.seconds,
      clients: options.clients,
      thinkMs,
      seed,
      only: options.only ?? null,
      machine: { cpus: cpus().length, memoryGb: Math.round(totalmem() / 1e9), node: process.version },
      setupSeconds,
      requests: overall.requests,
      failed: overall.failed,
      failures: recorder.failures,
      operations: recorder.operations,
      newcomers: { prepared: newcomers.length, used: Math.min(used, newcomers.length) },
      acknowledgedAdds,
      dataLost,
      memoriesPerRegular: { start: users.seededPerRegular, end: users.seededPerRegular + Math.round(acknowledgedAdds / Math.max(1, regulars.length)) },
      latencyMs: { p50: overall.p50Ms, p99: overall.p99Ms, max: overall.maxMs },
      p99AfterWarmUpMs: { first: p99s[0] ?? 0, last: p99s.at(-1) ?? 0, max: Math.max(0, ...p99s) },
      ...memory,
      allocatedKbPerRequest: allocatedRequests > 0 ? Math.round((allocatedMb * 1000) / allocatedRequests) : null,
      cpuMsPerRequest: cpuPerRequest(measured, recorder.windows),
      gcPausePercent: gcPausePercent(measured, recorder.windows),
      serverExitCode,
      ...(serverExitCode === 0 ? {} : { serverStderr: server.stderr().slice(-4_000) }),
      windows: recorder.windows,
      passed: false,
    };
    // RSS growth is judged net of the hot tier's, which holds more as the run adds memories (see the README's soak paragraph).
    const growth = memory.rssMb.growthNetOfHotTierPercent ?? memory.rssMb.growthPercent;
    result.passed = result.failed === 0 && result.dataLost === 0 && serverExitCode === 0 && (growth === null || growth < 10);
    return result;
  } finally {
    await inProcessApp?.close();
    await database?.drop();
  }
}

/** The server's CPU time per request over the windows after the warm-up (from the end of the window before them). */
function cpuPerRequest(measured: readonly SoakWindow[], all: readonly SoakWindow[]): number | null {
  const before = all[all.indexOf(measured[0]!) - 1]?.cpuSeconds ?? null;
  const end = measured.at(-1)?.cpuSeconds ?? null;
  const requests = measured.reduce((sum, window) => sum + window.requests, 0);
  return before === null || end === null || requests === 0 ? null : Math.round(((end - before) * 1e5) / requests) / 100;
}

/** How much of the time after the warm-up garbage collections paused the server. */
function gcPausePercent(measured: readonly SoakWindow[], all: readonly SoakWindow[]): number | null {
  const start = all[all.indexOf(measured[0]!) - 1]?.endSecond ?? null;
  const end = measured.at(-1)?.endSecond;
  if (start === null || end === undefined || end <= start || measured.some((window) => window.gcPauseMs === null)) return null;
  const pausedMs = measured.reduce((sum, window) => sum + window.gcPauseMs!, 0);
  return Math.round((pausedMs / ((end - start) * 1000)) * 1000) / 10;
}
