import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { MAX_TTL_DAYS } from '../../memories/memory-expiry.js';
import { MEMORY_UPDATE_REFUSALS } from '../../memories/memory-update.js';
import type { ToolContext } from '../tool-context.js';
import { runTool, toolResult } from '../tool-result.js';
import { memoryOutputSchema, toMemoryOutput } from './memory-output.js';

const MAX_UPDATES_PER_CALL = 100;

/** Built once per longest memory (the configuration's): every session's server registers the same schemas. */
const updateMemoriesTools = new Map<number, ReturnType<typeof buildUpdateMemoriesTool>>();

function updateMemoriesTool(maxMemoryChars: number): ReturnType<typeof buildUpdateMemoriesTool> {
  let tool = updateMemoriesTools.get(maxMemoryChars);
  if (!tool) updateMemoriesTools.set(maxMemoryChars, (tool = buildUpdateMemoriesTool(maxMemoryChars)));
  return tool;
}

// Ids, texts and metadata are checked item by item in the engine, so each refused item is reported
// with its index instead of the whole call failing on the first bad value.
function buildUpdateMemoriesTool(maxMemoryChars: number) {
  return {
    title: 'Correct memories',
    description:
      'Corrects stored memories by id (from list_memories or search_memories): a new text, new metadata, a new expiry (expires_at, null for none, or ttl_days), or several. ' +
      'Each memory keeps its id and date; the old text is gone. If the narrative used an old text it is marked stale at ' +
      'once and rewritten in the background. All or nothing: when any item is refused, nothing is changed and each ' +
      'refused item is listed in errors with why.',
    inputSchema: {
      updates: z
        .array(
          z.object({
            id: z.string().max(100).describe('The id of the memory to correct.'),
            content: z.string().optional().describe(`The corrected fact, in plain text (1 to ${maxMemoryChars} characters).`),
            metadata: z
              .record(z.string(), z.unknown())
              .optional()
              .describe('A JSON object that replaces the memory\'s metadata.'),
            expires_at: z
              .string()
              .nullable()
              .optional()
              .describe('A new moment the fact stops being true (ISO 8601 date-time, in the future), or null for never. Not with ttl_days.'),
            ttl_days: z.number().optional().describe(`Forget the fact this many days from now (more than 0, at most ${MAX_TTL_DAYS}). Not with expires_at.`),
          }),
        )
        .min(1, { error: 'give at least one update' })
        .max(MAX_UPDATES_PER_CALL, { error: `give at most ${MAX_UPDATES_PER_CALL} updates per call` })
        .describe('The corrections; each needs content, metadata, a new expiry, or several.'),
    },
    outputSchema: {
      updated: z.array(memoryOutputSchema).describe('The memories as stored now, in the order given; empty when the call was refused.'),
      errors: z
        .array(
          z.object({
            index: z.number().int().describe('The position of the refused item in updates.'),
            id: z.string(),
            reason: z.enum(MEMORY_UPDATE_REFUSALS),
            message: z.string(),
          }),
        )
        .describe('Why each refused item was refused; when there is any, nothing was changed.'),
      narrative_regenerating: z.boolean(),
    },
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  };
}

export function registerUpdateMemoriesTool(server: McpServer, { engine, logger, resolveUser }: ToolContext): void {
  server.registerTool(
    'update_memories',
    updateMemoriesTool(engine.memories.maxMemoryChars),
    (args, extra) =>
      runTool('update_memories', logger, async () => {
        const user = await resolveUser(extra);
        const result = await engine.memories.update(user.id, args.updates);
        if (!result.ok) {
          const lines = result.errors.map((error) => `- item ${error.index} (${error.id}): ${error.message}`);
          const text = `Nothing was changed; ${describeCount(result.errors.length, 'item was', 'items were')} refused:\n${lines.join('\n')}`;
          return { ...toolResult(text, { updated: [], errors: result.errors, narrative_regenerating: false }), isError: true };
        }
        const updated = result.updated.map(toMemoryOutput);
        const parts = [`Updated ${describeCount(updated.length, 'memory', 'memories')}.`];
        if (result.narrativeInvalidated) parts.push('The narrative used an old text and is being rewritten.');
        return toolResult(parts.join(' '), { updated, errors: [], narrative_regenerating: result.narrativeInvalidated });
      }),
  );
}

function describeCount(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}
