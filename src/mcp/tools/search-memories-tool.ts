import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { ToolContext } from '../tool-context.js';
import { runTool, toolResult } from '../tool-result.js';

/** Built once: every session's server registers the same schemas. */
const SEARCH_MEMORIES_TOOL = {
  title: "Search the user's memories",
  description:
    "Finds the user's stored memories most relevant to a query (full-text, word forms matched: 'painting' finds " +
    "'painted'), best first. Use it to recall specific facts before answering.",
  inputSchema: {
    query: z.string().trim().min(1, { error: 'query is empty' }).max(1_000, { error: 'query is longer than 1000 characters' }),
    limit: z.number().int().min(1).max(50).default(10).describe('How many memories to return (1-50, default 10).'),
  },
  outputSchema: {
    results: z.array(
      z.object({
        id: z.string(),
        content: z.string(),
        created_at: z.string(),
        score: z.number(),
        metadata: z.record(z.string(), z.unknown()),
      }),
    ),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
};

export function registerSearchMemoriesTool(server: McpServer, context: ToolContext): void {
  const { engine, logger, resolveUser } = context;
  const memoryService = engine.memories;
  server.registerTool(
    'search_memories',
    SEARCH_MEMORIES_TOOL,
    (args, extra) =>
      runTool('search_memories', logger, async () => {
        const user = await resolveUser(extra);
        const found = await memoryService.search(user.id, args.query, args.limit);
        const results = found.map((memory) => ({
          id: memory.id,
          content: memory.content,
          created_at: memory.created_at.toISOString(),
          score: memory.score,
          metadata: memory.metadata,
        }));
        const text =
          results.length === 0
            ? `No memories match "${args.query}".`
            : results.map((memory, i) => `${i + 1}. [${memory.created_at.slice(0, 10)}] ${memory.content}`).join('\n');
        return toolResult(text, { results });
      }),
  );
}
