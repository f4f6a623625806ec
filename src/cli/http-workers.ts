import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import { shutdownSignal } from '../app/shutdown-signal.js';
import { SECOND_MS } from '../clock/durations.js';

/** What the supervisor sends a worker to make it drain and exit (signals may reach it twice). */
export const SHUTDOWN_MESSAGE = 'narrative-mcp:shutdown';
/** Set in the first worker's environment: it alone creates a first key and prints the banner. */
export const FIRST_WORKER_VARIABLE = 'NARRATIVE_MCP_FIRST_WORKER';
/** A worker that dies sooner than this after starting is replaced only after `REPLACE_DELAY_MS`. */
const SHORT_LIFE_MS = 5 * SECOND_MS;
const REPLACE_DELAY_MS = SECOND_MS;

export function workerCount(setting: number | 'auto'): number {
  return setting === 'auto' ? availableParallelism() : setting;
}

/**
 * Runs `count` processes of this same command on one port (Node's `cluster`: this process holds
 * the listening socket and hands connections to the workers in turn). The first worker starts
 * alone; the rest once it listens. A worker that dies is replaced; SIGINT or SIGTERM asks every
 * worker to drain and waits until all have exited. Resolves with the exit code to end with.
 */
export async function superviseHttpWorkers(count: number, logger: Logger): Promise<number> {
  const stop = shutdownSignal();
  let stopping = false;
  const started = new Map<Worker, number>();
  const fork = (first = false): Worker => {
    const worker = cluster.fork(first ? { [FIRST_WORKER_VARIABLE]: '1' } : {});
    started.set(worker, Date.now());
    return worker;
  };

  const stopAll = async (): Promise<void> => {
    stopping = true;
    await Promise.all(
      [...started.keys()].map(async (worker) => {
        if (worker.isDead()) return;
        const exited = once(worker, 'exit');
        worker.send(SHUTDOWN_MESSAGE);
        await exited;
      }),
    );
  };

  const first = fork(true);
  const firstOutcome = await Promise.race([
    once(first, 'listening').then(() => 'listening' as const),
    once(first, 'exit').then(([code]: unknown[]) => (typeof code === 'number' ? code : 1)),
    stop.then(() => 'stopped' as const),
  ]);
  if (firstOutcome === 'stopped') {
    await stopAll();
    return 0;
  }
  if (firstOutcome !== 'listening') return firstOutcome === 0 ? 1 : firstOutcome;
  for (let n = 1; n < count; n++) fork();

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (started.get(worker) ?? 0);
    started.delete(worker);
    if (stopping) return;
    logger.warn({ pid: worker.process.pid, code, signal }, 'an HTTP worker ended; starting another');
    if (lived < SHORT_LIFE_MS) setTimeout(() => stopping || fork(), REPLACE_DELAY_MS);
    else fork();
  });

  const reason = await stop;
  logger.info({ reason, workers: started.size }, 'stopping the HTTP workers');
  await stopAll();
  return 0;
}
