import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Readable } from 'node:stream';
import { childEnv } from './child-env.js';
import { stderrTail } from './stderr-tail.js';

export interface StdioConnection {
  client: Client;
  /** The server process, for its RSS. */
  pid: number;
  stderr(): string;
  close(): Promise<void>;
}

/** Starts an MCP server process and connects the MCP SDK client to it over stdio. */
export async function connectStdio(command: string, args: readonly string[], vars: Readonly<Record<string, string>>): Promise<StdioConnection> {
  const transport = new StdioClientTransport({ command, args: [...args], env: childEnv(vars), stderr: 'pipe' });
  const stderr = stderrTail(transport.stderr as Readable | null);
  const client = new Client({ name: 'narrative-mcp-bench', version: '0.0.0' });
  try {
    await client.connect(transport);
  } catch (error) {
    throw new Error(`bench: could not start ${[command, ...args].join(' ')}: ${String(error)}\n${stderr()}`, { cause: error });
  }
  const pid = transport.pid;
  if (pid === null) throw new Error(`bench: ${args.join(' ')} started without a pid`);
  return { client, pid, stderr, close: () => client.close() };
}
