import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { ToolContext } from '../tool-context.js';
import { runTool, toolResult } from '../tool-result.js';

/** Built once: every session's server registers the same schemas. */
const DELETE_MEMORIES_TOOL = {
  title: 'Forget memories',
  description:
    'Deletes memories by id (from list_memories or search_memories). If the narrative used any of them it is marked ' +
    'stale at once and rewritten in the background without them.',
  inputSchema: {
    ids: z
      .array(z.uuid({ error: 'each id must be a memory id (a UUID)' }))
      .min(1, { error: 'give at least one id' })
      .max(100, { error: 'give at most 100 ids per call' }),
  },
  outputSchema: {
    deleted: z.array(z.string()),
    not_found: z.array(z.string()).describe('Ids that are not live memories of this user.'),
    narrative_regenerating: z.boolean(),
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
};

export function registerDeleteMemoriesTool(server: McpServer, { engine, logger, resolveUser }: ToolContext): void {
  server.registerTool(
    'delete_memories',
    DELETE_MEMORIES_TOOL,
    (args, extra) =>
      runTool('delete_memories', logger, async () => {
        const user = await resolveUser(extra);
        const result = await engine.memories.delete(user.id, args.ids);
        const parts = [`Deleted ${result.deleted.length} ${result.deleted.length === 1 ? 'memory' : 'memories'}.`];
        if (result.notFound.length > 0) parts.push(`Not found: ${result.notFound.join(', ')}.`);
        if (result.narrativeInvalidated) parts.push('The narrative used them and is being rewritten without them.');
        return toolResult(parts.join(' '), {
          deleted: result.deleted,
          not_found: result.notFound,
          narrative_regenerating: result.narrativeInvalidated,
        });
      }),
  );
}
