import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describeError } from './describe-error.js';
import type { LatencyRecorder } from './latency-recorder.js';
import type { SoakUser } from './soak-database.js';

/** The mix of one client's requests, by weight. */
const MIX = [
  ['hit', 45],
  ['narrative', 15],
  ['add', 20],
  ['search', 10],
  ['miss', 7],
  ['regenerate', 3],
] as const;
export type SoakOperation = (typeof MIX)[number][0];
export const SOAK_OPERATIONS: readonly SoakOperation[] = MIX.map(([operation]) => operation);
const TOTAL_WEIGHT = MIX.reduce((sum, [, weight]) => sum + weight, 0);

export interface SoakClientContext {
  url: string;
  user: SoakUser;
  /** Hands out a user who has never started a conversation, or undefined once none is left. */
  nextNewcomer(): SoakUser | undefined;
  recorder: LatencyRecorder;
  /** Every memory the server acknowledged, by user. */
  acknowledged: Map<string, string[]>;
  deadline: number;
  /** Mean pause between two requests of one client, as a person reading answers would leave. */
  thinkMs: number;
  /** Ask only this kind of request (to measure one kind alone), instead of the mix. */
  only?: SoakOperation | undefined;
}

async function connect(url: string, key: string): Promise<Client> {
  const client = new Client({ name: 'soak', version: '0.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${key}` } } }));
  return client;
}

function pick(): SoakOperation {
  let roll = Math.random() * TOTAL_WEIGHT;
  for (const [operation, weight] of MIX) {
    roll -= weight;
    if (roll < 0) return operation;
  }
  return 'hit';
}

/** One client until the deadline: a long MCP session for its own user, REST calls, and first conversations of newcomers. */
export async function runSoakClient(context: SoakClientContext): Promise<void> {
  const { url, user, recorder } = context;
  const session = await connect(url, user.key);
  let notes = 0;
  const rest = async (path: string, init: RequestInit = {}) =>
    fetch(`${url}${path}`, { ...init, headers: { Authorization: `Bearer ${user.key}`, 'content-type': 'application/json' } });
  const tool = async (client: Client, name: string, args: Record<string, unknown>): Promise<string | undefined> => {
    const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
    return result.isError ? `tool error: ${JSON.stringify(result.content).slice(0, 120)}` : undefined;
  };
  const status = async (response: Response, ...expected: number[]) => {
    await response.arrayBuffer();
    return expected.includes(response.status) ? undefined : `HTTP ${response.status}`;
  };

  const run: Record<SoakOperation, () => Promise<string | undefined>> = {
    hit: () => tool(session, 'orchestrate_smart_context', { user_message: 'What should I plan for this weekend?' }),
    narrative: async () => status(await rest('/api/v1/memories/narrative'), 200, 204),
    search: () => tool(session, 'search_memories', { query: 'cello harbour marathon' }),
    regenerate: async () => status(await rest('/api/v1/memories/narrative/regenerate', { method: 'POST' }), 202),
    add: async () => {
      const content = `${user.externalId} noted thing number ${++notes} at ${Date.now()}.`;
      const failure = await status(await rest('/api/v1/memories', { method: 'POST', body: JSON.stringify({ memories: [{ content }] }) }), 201);
      if (!failure) context.acknowledged.set(user.externalId, [...(context.acknowledged.get(user.externalId) ?? []), content]);
      return failure;
    },
    miss: async () => {
      const newcomer = context.nextNewcomer();
      if (!newcomer) return tool(session, 'orchestrate_smart_context', { user_message: 'Hello again.' });
      // A new user's first conversation: its own session, ended as the MCP spec asks (DELETE) when done.
      const client = await connect(url, newcomer.key);
      try {
        return await tool(client, 'orchestrate_smart_context', { user_message: 'Hi! What do you know about me?' });
      } finally {
        await (client.transport as StreamableHTTPClientTransport).terminateSession().catch(() => undefined);
        await client.close();
      }
    },
  };

  try {
    while (Date.now() < context.deadline) {
      const operation = context.only ?? pick();
      const started = performance.now();
      let failure: string | undefined;
      try {
        failure = await run[operation]();
      } catch (error) {
        failure = describeError(error);
      }
      recorder.record(operation, performance.now() - started, failure);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 * context.thinkMs));
    }
  } finally {
    await (session.transport as StreamableHTTPClientTransport).terminateSession().catch(() => undefined);
    await session.close();
  }
}
