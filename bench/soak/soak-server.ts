import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../bin/narrative-mcp.js', import.meta.url));

export interface SoakServer {
  url: string;
  /** Set once the process has exited, whoever stopped it. */
  exited(): { code: number | null; signal: string | null } | undefined;
  /** The server's resident memory and V8 heap in use, in MB, from its own `/metrics`. */
  memory(): Promise<{ rssMb: number | null; heapUsedMb: number | null }>;
  stderr(): string;
  /** SIGTERM, as an operator stops it; resolves with its exit code. */
  stop(): Promise<number | null>;
}

/** A real `narrative-mcp serve --http` on a free loopback port, with the given variables. */
export async function startSoakServer(env: Record<string, string>): Promise<SoakServer> {
  const child = spawn(process.execPath, [CLI, 'serve', '--http', '--host', '127.0.0.1', '--port', '0'], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let exit: { code: number | null; signal: string | null } | undefined;
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
  return {
    url,
    exited: () => exit,
    async memory() {
      const metrics = await fetch(`${url}/metrics`).then((response) => response.text(), () => '');
      const megabytes = (name: string) => {
        const bytes = new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1];
        return bytes ? Math.round(Number(bytes) / 1e5) / 10 : null;
      };
      return { rssMb: megabytes('process_resident_memory_bytes'), heapUsedMb: megabytes('nodejs_heap_size_used_bytes') };
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
