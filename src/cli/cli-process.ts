import type { Readable, Writable } from 'node:stream';
import pino, { type DestinationStream } from 'pino';

/**
 * What a command sees of the process it runs in: its environment, standard streams and exit code.
 * The binary runs commands on the real process; tests can run them in process on captured streams.
 */
export interface CliProcess {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable & { readonly isTTY?: boolean };
  exitCode: number | undefined;
  /** Writes one line of output on stdout. */
  print(line: string): void;
  /** Writes one line for the person at the terminal on stderr. */
  printError(line: string): void;
  /** Where the JSON logs go, on stderr. */
  logDestination(): DestinationStream;
}

/** The process the binary runs in. Streams are read when used: `process.stdin` exists only once asked for. */
export const nodeProcess: CliProcess = {
  get env() {
    return process.env;
  },
  get stdin() {
    return process.stdin;
  },
  get stdout() {
    return process.stdout;
  },
  get stderr() {
    return process.stderr;
  },
  get exitCode() {
    return process.exitCode === undefined ? undefined : Number(process.exitCode);
  },
  set exitCode(code) {
    process.exitCode = code;
  },
  // Through console at each call: `serve --stdio` sends console.log to stderr to keep stdout for JSON-RPC.
  print: (line) => console.log(line),
  printError: (line) => console.error(line),
  // Straight to the file descriptor without blocking, as pino recommends for a server.
  logDestination: () => pino.destination({ fd: 2, sync: false }),
};
