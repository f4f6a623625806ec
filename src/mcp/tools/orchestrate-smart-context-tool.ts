import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { ToolContext } from '../tool-context.js';
import { runTool } from '../tool-result.js';

/** Built once: every session's server registers the same schemas. */
const ORCHESTRATE_SMART_CONTEXT_TOOL = {
  title: 'Get context about the user',
  description:
    'Call at the start of every conversation with the user\'s first message: returns what is known about the user ' +
    '(a cached narrative of their life, work, people and interests, plus the memories most relevant to the message). ' +
    'It answers at once; it never waits for a narrative to be written. With is_new_conversation=false it returns only ' +
    'the memories relevant to a later message.',
  inputSchema: {
    user_message: z.string().max(10_000, { error: 'user_message is longer than 10000 characters' }).describe("The user's message."),
    is_new_conversation: z.boolean().default(true).describe('true at the start of a conversation (default).'),
  },
  outputSchema: {
    source: z.enum(['cache', 'stale_cache', 'deep_analysis', 'memories_only']),
    narrative: z
      .object({
        version: z.number().int(),
        generated_at: z.string(),
        stale: z.boolean(),
        stale_reasons: z.array(z.enum(['expired', 'new_memories', 'memory_deleted', 'memory_updated', 'memory_expired'])),
      })
      .nullable(),
    reason: z.string().nullable().describe('Why there is no narrative or analysis, when there is none.'),
    memories: z.array(z.object({ id: z.string(), content: z.string(), created_at: z.string() })),
    generation_scheduled: z.boolean(),
    elapsed_ms: z.number(),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
};

export function registerOrchestrateSmartContextTool(server: McpServer, { engine, logger, resolveUser }: ToolContext): void {
  server.registerTool(
    'orchestrate_smart_context',
    ORCHESTRATE_SMART_CONTEXT_TOOL,
    (args, extra) =>
      runTool('orchestrate_smart_context', logger, async () => {
        const user = await resolveUser(extra);
        const { text, ...structured } = await engine.context.orchestrate(user.id, args.user_message, args.is_new_conversation);
        return { content: [{ type: 'text', text }], structuredContent: structured };
      }),
  );
}
