import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { ToolContext } from '../tool-context.js';
import { runTool, toolResult } from '../tool-result.js';
import { memoryOutputSchema, toMemoryOutput } from './memory-output.js';

/** Built once: every session's server registers the same schemas. */
const LIST_MEMORIES_TOOL = {
  title: "List the user's memories",
  description:
    "Lists the user's stored memories, newest first, a page at a time. Pass next_cursor back as cursor for the next page. " +
    'Use it to review what is remembered, e.g. before deleting memories.',
  inputSchema: {
    limit: z.number().int().min(1).max(100).default(20).describe('Memories per page (1-100, default 20).'),
    cursor: z.string().max(500).optional().describe('next_cursor from the previous page.'),
  },
  outputSchema: {
    memories: z.array(memoryOutputSchema),
    next_cursor: z.string().nullable().describe('null on the last page.'),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
};

export function registerListMemoriesTool(server: McpServer, { engine, logger, resolveUser }: ToolContext): void {
  server.registerTool(
    'list_memories',
    LIST_MEMORIES_TOOL,
    (args, extra) =>
      runTool('list_memories', logger, async () => {
        const user = await resolveUser(extra);
        const page = await engine.memories.list(user.id, args.limit, args.cursor);
        const memories = page.memories.map(toMemoryOutput);
        const text =
          memories.length === 0
            ? 'No memories.'
            : memories.map((memory) => `- ${memory.id} [${memory.created_at.slice(0, 10)}] ${memory.content}`).join('\n') +
              (page.nextCursor ? `\n(more: cursor ${page.nextCursor})` : '');
        return toolResult(text, { memories, next_cursor: page.nextCursor });
      }),
  );
}
