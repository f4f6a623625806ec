import { spawn } from 'node:child_process';
import { childEnv } from './child-env.js';
import { CLI_PATH } from './cli-path.js';
import { freePort } from './free-port.js';
import { processRunning, processTree } from './process-tree.js';
import { trackChild } from './running-children.js';
import { stderrTail } from './stderr-tail.js';
import { waitUntil } from './wait-until.js';

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

export interface HttpServerProcess {
  /** `http://127.0.0.1:PORT` */
  url: string;
  pid: number;
  stderr(): string;
  /** SIGTERM, then SIGKILL if it has not exited in time; resolves once its children (workers) have ended too. */
  close(): Promise<void>;
}

/** Our server as a user starts it. */
export const SERVE_HTTP: readonly string[] = [CLI_PATH, 'serve', '--http'];

/**
 * `narrative-mcp serve --http` (or another server given as node's arguments, which takes `--port`)
 * on a free port, ready once `/healthz` answers. Node flags in BENCH_SERVER_NODE_FLAGS go to the
 * server's node (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 */
export async function startHttpServerProcess(vars: Readonly<Record<string, string>>, server: readonly string[] = SERVE_HTTP): Promise<HttpServerProcess> {
  const port = await freePort();
  const child = trackChild(
    spawn(process.execPath, [...serverNodeFlags(), ...server, '--port', String(port)], {
      env: childEnv(vars),
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
  const stderr = stderrTail(child.stderr);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntil(
      `the HTTP server on port ${port}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
        const healthy = await fetch(`${url}/healthz`).then(
          (response) => response.ok,
          () => false,
        );
        return healthy ? true : undefined;
      },
      START_TIMEOUT_MS,
      50,
    );
  } catch (error) {
    const descendants = processTree(child.pid!).slice(1);
    child.kill('SIGKILL');
    await untilEnded(descendants);
    throw new Error(`bench: ${server.join(' ')} did not start: ${String(error)}\n${stderr()}`, { cause: error });
  }
  return {
    url,
    pid: child.pid!,
    stderr,
    close: async () => {
      // Under --workers the primary drains its workers before it exits; whatever it leaves is ended here.
      const descendants = processTree(child.pid!).slice(1);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      await untilEnded(descendants);
    },
  };
}

/** Waits for processes to end, and SIGKILLs those still running after the stop timeout. */
async function untilEnded(pids: readonly number[]): Promise<void> {
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (pids.some(processRunning) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  for (const pid of pids.filter(processRunning)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // It ended in the meantime.
    }
  }
}

function serverNodeFlags(): string[] {
  return (process.env.BENCH_SERVER_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
}
