import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { GcTrace } from './gc-trace.js';
import { parseServerMetrics } from './parse-server-metrics.js';
import { readWasmResident } from './read-wasm-resident.js';
import type { ServerMemory } from './server-memory.js';
import { toMegabytes } from './to-megabytes.js';

const CLI = fileURLToPath(new URL('../../bin/narrative-mcp.js', import.meta.url));

export interface SoakServer {
  url: string;
  /** Set once the process has exited, whoever stopped it. */
  exited(): { code: number | null; signal: string | null } | undefined;
  /** The server's memory now, from its own `/metrics` and its GC trace. */
  memory(): Promise<ServerMemory>;
  stderr(): string;
  /** SIGTERM, as an operator stops it; resolves with its exit code. */
  stop(): Promise<number | null>;
}

/**
 * A real `narrative-mcp serve --http` on a free loopback port, with the given variables. It runs
 * with `--trace-gc` (one line per collection, on stdout, which `serve --http` leaves unused) and
 * any other node flags given, e.g. `--heap-prof` or `--cpu-prof` to profile it; `cli` is another
 * build's `bin/narrative-mcp.js`, to compare two versions under the same load.
 */
export async function startSoakServer(env: Record<string, string>, options: { nodeFlags?: readonly string[]; cli?: string } = {}): Promise<SoakServer> {
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), '--trace-gc', options.cli ?? CLI, 'serve', '--http', '--host', '127.0.0.1', '--port', '0'], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let exit: { code: number | null; signal: string | null } | undefined;
  const gc = new GcTrace();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => gc.feed(chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20_000)));
  child.once('exit', (code, signal) => (exit = { code, signal }));
  const started = Date.now();
  while (!/listening on (http:\S+)/.test(stderr)) {
    if (child.exitCode !== null || Date.now() - started > 120_000) {
      child.kill('SIGKILL');
      throw new Error(`soak: the server did not start:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const url = /listening on (http:\S+)/.exec(stderr)![1]!;
  gc.takeAllocated();
  gc.takePausedMs();
  return {
    url,
    exited: () => exit,
    async memory() {
      const metrics = await fetch(`${url}/metrics`).then((response) => response.text(), () => '');
      const afterFull = gc.heapAfterFullCollection;
      const wasm = child.pid === undefined ? null : await readWasmResident(child.pid);
      return {
        ...parseServerMetrics(metrics),
        heapAfterGcMb: afterFull === null ? null : toMegabytes(afterFull),
        wasmRssMb: wasm === null ? null : toMegabytes(wasm),
        allocatedMb: toMegabytes(gc.takeAllocated()),
        gcPauseMs: Math.round(gc.takePausedMs()),
      };
    },
    stderr: () => stderr,
    async stop() {
      if (exit) return exit.code;
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
}
