import { cpus } from 'node:os';
import pino from 'pino';
import { openApp } from '../../src/app/app.js';
import { loadConfig } from '../../src/config/config.js';
import { sql } from 'kysely';
import { openDatabase, type DatabaseHandle } from '../../src/db/open-database.js';
import { backfill } from '../../src/operations/backfill.js';
import { InstantProvider } from '../instant-provider.js';
import { createPostgresBenchDatabase } from '../support/postgres-bench-database.js';
import { processCpuSeconds } from '../support/process-cpu-seconds.js';
import { generateBenchUsers } from './generate-bench-users.js';

const MB = 1024 * 1024;

export interface BackfillBenchmarkOptions {
  users: number;
  concurrency: number;
  batchSize: number;
  /** PGlite in `dataDir` (`memory://` for in memory), or a new database on the PostgreSQL server `adminUrl`, dropped at the end. */
  database: { kind: 'pglite'; dataDir: string } | { kind: 'postgres'; adminUrl: string };
  /** Progress lines (generation, every tenth of the backfill). */
  log?: (line: string) => void;
  /** Aborting stops the run between steps (the throw-away database is still dropped). */
  signal?: AbortSignal;
}

export type BackfillBenchmarkResult = Awaited<ReturnType<typeof runBackfillBenchmark>>;

/**
 * N users with 20–200 memories each in a throw-away database, backfilled with a zero-latency
 * provider, then backfilled again (all fresh). Peak RSS and JS heap of this process are sampled
 * every 20 ms and at every finished user; RSS and heap are also read at every tenth of the run.
 */
export async function runBackfillBenchmark(options: BackfillBenchmarkOptions) {
  const { users, concurrency, batchSize } = options;
  const log = options.log ?? (() => {});
  const { handle, drop } = await throwAwayDatabase(options);
  let peakRss = process.memoryUsage.rss();
  let peakHeap = process.memoryUsage().heapUsed;
  const sample = () => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  };
  // Sampled on a timer and at every finished user (PGlite's synchronous work can starve the timer).
  const sampler = setInterval(sample, 20);
  try {
    const config = loadConfig({
      LLM_CONCURRENCY: String(Math.min(concurrency, 64)),
      LLM_CALLS_PER_MINUTE: '100000',
      DATABASE_POOL_SIZE: String(concurrency + 4),
    });
    const app = await openApp(config, pino({ level: 'silent' }), { database: handle, provider: new InstantProvider() });
    const generateStarted = performance.now();
    const memories = await generateBenchUsers(handle, users, (done) => {
      options.signal?.throwIfAborted();
      log(`generated ${done} of ${users} users`);
    });
    const generateSeconds = (performance.now() - generateStarted) / 1000;
    log(`${users} users and ${memories} memories in ${generateSeconds.toFixed(1)} s (${handle.kind})`);

    const rssBefore = process.memoryUsage.rss();
    const heapBefore = process.memoryUsage().heapUsed;
    peakRss = rssBefore;
    peakHeap = heapBefore;
    const rssByTenth: number[] = [];
    const heapByTenth: number[] = [];
    const serverCpu = await serverCpuFrom(handle);
    const cpuBefore = process.cpuUsage();
    const first = await backfill(app, {
      concurrency,
      batchSize,
      ...(options.signal ? { signal: options.signal } : {}),
      onEvent: (event) => {
        if (event.type !== 'user') return;
        sample();
        if (event.done % Math.max(1, Math.floor(event.total / 10)) === 0) {
          // With node --expose-gc, the tenths show what is retained rather than garbage not yet collected.
          (globalThis as { gc?: () => void }).gc?.();
          rssByTenth.push(Math.round(process.memoryUsage.rss() / MB));
          heapByTenth.push(Math.round(process.memoryUsage().heapUsed / MB));
          log(`backfilled ${event.done} of ${event.total}`);
        }
      },
    });
    const cpu = process.cpuUsage(cpuBefore);
    const serverCpuSeconds = await serverCpu();
    options.signal?.throwIfAborted();
    const peakDuringBackfill = { rss: peakRss, heap: peakHeap };
    const perUserMs = (seconds: number) => Number(((seconds * 1000) / Math.max(1, first.generated)).toFixed(3));
    const processCpuSecondsUsed = (cpu.user + cpu.system) / 1e6;
    const second = await backfill(app, { concurrency, batchSize });
    await app.close({ graceMs: 0 });

    return {
      date: new Date().toISOString(),
      database: handle.kind,
      pgliteDataDir: options.database.kind === 'pglite' ? options.database.dataDir : null,
      node: process.version,
      cpus: cpus().length,
      users,
      memories,
      concurrency,
      batchSize,
      generateSeconds: Number(generateSeconds.toFixed(1)),
      backfill: {
        ...first,
        failures: first.failures.length,
        usersPerSecond: Number((first.generated / (first.durationMs / 1000)).toFixed(1)),
        /**
         * CPU per user generated: this process's (on PGlite, the database's too), and on
         * PostgreSQL its backends serving the throw-away database, read from /proc.
         */
        cpuMsPerUser: {
          process: perUserMs(processCpuSecondsUsed),
          postgres: serverCpuSeconds === null ? null : perUserMs(serverCpuSeconds),
        },
      },
      rerunAllFresh: {
        skipped: second.skipped,
        durationMs: second.durationMs,
        usersPerSecond: Number((second.skipped / (second.durationMs / 1000)).toFixed(1)),
      },
      rssMb: {
        beforeBackfill: Math.round(rssBefore / MB),
        peakDuringBackfill: Math.round(peakDuringBackfill.rss / MB),
        atEachTenth: rssByTenth,
      },
      /** The JavaScript heap alone: what the backfill itself holds (in-memory PGlite's data lives in RSS, outside it). */
      heapUsedMb: {
        beforeBackfill: Math.round(heapBefore / MB),
        peakDuringBackfill: Math.round(peakDuringBackfill.heap / MB),
        atEachTenth: heapByTenth,
      },
    };
  } finally {
    clearInterval(sampler);
    await drop();
  }
}

/**
 * The CPU time the PostgreSQL backends connected to the handle's database use from now until the
 * returned function is called (null on PGlite, whose work is this process's). A backend that
 * connects meanwhile counts from its start; one that ends meanwhile is not counted.
 */
async function serverCpuFrom(handle: DatabaseHandle): Promise<() => Promise<number | null>> {
  if (handle.kind !== 'postgres') return async () => null;
  const backends = async () => {
    const { rows } = await sql<{ pid: number }>`select pid from pg_stat_activity where datname = current_database()`.execute(handle.db);
    return rows.map((row) => row.pid);
  };
  const cpuOf = (pid: number) => {
    try {
      return processCpuSeconds(pid);
    } catch {
      return null;
    }
  };
  const before = new Map((await backends()).map((pid) => [pid, cpuOf(pid) ?? 0]));
  return async () => {
    let total = 0;
    for (const pid of new Set([...before.keys(), ...(await backends())])) {
      const now = cpuOf(pid);
      if (now !== null) total += now - (before.get(pid) ?? 0);
    }
    return total;
  };
}

async function throwAwayDatabase(options: BackfillBenchmarkOptions): Promise<{ handle: DatabaseHandle; drop: () => Promise<void> }> {
  if (options.database.kind === 'pglite') {
    const handle = await openDatabase({ dataDir: options.database.dataDir, poolSize: 1 });
    return { handle, drop: async () => {} };
  }
  const database = await createPostgresBenchDatabase(options.database.adminUrl);
  const handle = await openDatabase({ databaseUrl: database.url, dataDir: '', poolSize: options.concurrency + 4 });
  return {
    handle,
    drop: async () => {
      await handle.close().catch(() => undefined);
      await database.drop();
    },
  };
}
