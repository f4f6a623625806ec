import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { expectSource } from './expect-source.js';
import { callSmartContext } from './smart-context-call.js';

/**
 * Every client calls `orchestrate_smart_context` with its user's messages in a loop until the time
 * is up, each answer checked to be a cache hit; returns each call's latency.
 */
export async function closedLoop(
  clients: readonly { client: Client; user: string }[],
  questionsOf: (user: string) => string[],
  durationMs: number,
): Promise<number[]> {
  const deadline = performance.now() + durationMs;
  const samples: number[] = [];
  await Promise.all(
    clients.map(async ({ client, user }, offset) => {
      const messages = questionsOf(user);
      for (let index = offset; performance.now() < deadline; index += 1) {
        const { ms, answer } = await callSmartContext(client, messages[index % messages.length]!);
        expectSource('http throughput', answer, ['cache']);
        samples.push(ms);
      }
    }),
  );
  return samples;
}
