import { Readable, Writable } from 'node:stream';
import type { CliProcess } from '../../src/cli/cli-process.js';
import { main } from '../../src/cli/main.js';
import { CLI_PATH, type CliResult } from './cli.js';

/**
 * Runs a `narrative-mcp` command in this process through the binary's own `main`, with `env` as
 * its whole environment, `stdin` as its standard input, and its output and exit code captured:
 * what `runCli` sees of a child process, without a process to start and modules to load each time.
 * For what only a real process shows (signals, several processes, the exit itself), use `runCli`.
 */
export async function runCliInProcess(args: readonly string[], env: Record<string, string>, stdin = ''): Promise<CliResult> {
  const output = { stdout: '', stderr: '' };
  const capture = (stream: keyof typeof output) =>
    new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        output[stream] += chunk.toString();
        done();
      },
    });
  const cli: CliProcess = {
    env,
    stdin: Readable.from([Buffer.from(stdin)]),
    stdout: capture('stdout'),
    stderr: capture('stderr'),
    exitCode: undefined,
    print: (line) => (output.stdout += `${line}\n`),
    printError: (line) => (output.stderr += `${line}\n`),
    logDestination: () => ({ write: (line: string) => (output.stderr += line) }),
  };
  // Closing PGlite sets process.exitCode, which would become this test process's own.
  const exitCode = process.exitCode;
  try {
    await main([process.execPath, CLI_PATH, ...args], cli);
  } finally {
    process.exitCode = exitCode;
  }
  return { code: cli.exitCode ?? 0, ...output };
}
