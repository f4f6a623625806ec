import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { MAX_TTL_DAYS, ttlDaysSchema } from '../../memories/memory-expiry.js';
import { memoryContentSchema, memoryMetadataSchema } from '../../memories/memory-input.js';
import type { ToolContext } from '../tool-context.js';
import { runTool, toolResult } from '../tool-result.js';

const MAX_MEMORIES_PER_CALL = 100;

/** Built once per longest memory (the configuration's): every session's server registers the same schemas. */
const addMemoriesTools = new Map<number, ReturnType<typeof buildAddMemoriesTool>>();

function addMemoriesTool(maxMemoryChars: number): ReturnType<typeof buildAddMemoriesTool> {
  let tool = addMemoriesTools.get(maxMemoryChars);
  if (!tool) addMemoriesTools.set(maxMemoryChars, (tool = buildAddMemoriesTool(maxMemoryChars)));
  return tool;
}

function buildAddMemoriesTool(maxMemoryChars: number) {
  return {
    title: 'Remember facts about the user',
    description:
      'Stores one or more facts the user shared about themselves (preferences, people, work, plans, events) so later ' +
      'conversations can use them. Each memory should be one self-contained statement. Text the user already has ' +
      'stored is not stored twice. A fact that is only true for a while ("I am in Paris this week") can expire: give ' +
      'expires_at or ttl_days, and from then on it is forgotten as if deleted.',
    inputSchema: {
      memories: z
        .array(
          z.object({
            content: memoryContentSchema(maxMemoryChars).describe('One self-contained fact, in plain text.'),
            metadata: memoryMetadataSchema.optional().describe('Optional JSON object kept with the memory (e.g. tags).'),
            // A string here, made a Date in the handler: the listed JSON Schema cannot show a transform.
            expires_at: z.iso
              .datetime({ offset: true, error: 'expires_at must be an ISO 8601 date-time such as 2024-05-01T12:00:00Z' })
              .optional()
              .describe('When the fact stops being true (ISO 8601 date-time, in the future); it is then forgotten. Not with ttl_days.'),
            ttl_days: ttlDaysSchema
              .optional()
              .describe(`Forget the fact this many days from now (more than 0, at most ${MAX_TTL_DAYS}). Not with expires_at.`),
          }),
        )
        .min(1, { error: 'give at least one memory' })
        .max(MAX_MEMORIES_PER_CALL, { error: `give at most ${MAX_MEMORIES_PER_CALL} memories per call` })
        .describe('The memories to store.'),
    },
    outputSchema: {
      added: z.array(
        z.object({
          id: z.string(),
          content: z.string(),
          created_at: z.string(),
          expires_at: z.string().nullable().describe('When the memory expires; null when never.'),
        }),
      ),
      duplicates: z.number().int().describe('How many of the given memories were already stored.'),
      total_memories: z.number().int().describe("The user's number of memories after this call."),
    },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  };
}

export function registerAddMemoriesTool(server: McpServer, context: ToolContext): void {
  const { engine, logger, resolveUser } = context;
  const memoryService = engine.memories;
  server.registerTool(
    'add_memories',
    addMemoriesTool(memoryService.maxMemoryChars),
    (args, extra) =>
      runTool('add_memories', logger, async () => {
        const user = await resolveUser(extra);
        const memories = args.memories.map(({ expires_at, ...memory }) =>
          expires_at === undefined ? memory : { ...memory, expires_at: new Date(expires_at) },
        );
        const result = await memoryService.add(user.id, memories, 'mcp');
        const added = result.added.map((memory) => ({
          id: memory.id,
          content: memory.content,
          created_at: memory.created_at.toISOString(),
          expires_at: memory.expires_at?.toISOString() ?? null,
        }));
        const already = result.duplicates > 0 ? ` (${result.duplicates} already known)` : '';
        return toolResult(
          `Stored ${added.length} ${added.length === 1 ? 'memory' : 'memories'}${already}. The user now has ${result.totalMemories}.`,
          { added, duplicates: result.duplicates, total_memories: result.totalMemories },
        );
      }),
  );
}
