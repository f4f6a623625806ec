import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { SmartContext } from '../../src/engine/context-service.js';
import { timeMs } from './time-ms.js';

export type SmartContextAnswer = Omit<SmartContext, 'text'>;

/** One `orchestrate_smart_context` call through an MCP client, timed from request to parsed answer. */
export async function callSmartContext(client: Client, message: string): Promise<{ ms: number; answer: SmartContextAnswer }> {
  const { ms, value } = await timeMs(
    async () => (await client.callTool({ name: 'orchestrate_smart_context', arguments: { user_message: message } })) as CallToolResult,
  );
  if (value.isError || !value.structuredContent) {
    const text = value.content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');
    throw new Error(`bench: orchestrate_smart_context failed: ${text}`);
  }
  return { ms, answer: value.structuredContent as unknown as SmartContextAnswer };
}
