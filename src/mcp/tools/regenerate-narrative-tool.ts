import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { RegenerationAnswer } from '../../engine/regeneration-service.js';
import type { ToolContext } from '../tool-context.js';
import { runTool, toolResult } from '../tool-result.js';

/** Built once: every session's server registers the same schemas. */
const REGENERATE_NARRATIVE_TOOL = {
  title: "Rewrite the user's narrative now",
  description:
    "Rewrites the user's narrative at once, ahead of other background work (limited per user per hour). Answers with " +
    'the job state; with wait=true it waits for the new version (bounded) and reports progress if asked.',
  inputSchema: {
    wait: z.boolean().default(false).describe('Wait for the new version instead of answering once it is scheduled.'),
  },
  outputSchema: {
    state: z.enum(['queued', 'running', 'completed', 'failed', 'rate_limited', 'not_eligible']),
    version: z.number().int().nullable().optional(),
    retry_at: z.string().optional(),
    retry_after_seconds: z.number().int().optional(),
    kind: z.string().optional(),
    message: z.string().optional(),
    memory_count: z.number().int().optional(),
    min_memories: z.number().int().optional(),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
};

export function registerRegenerateNarrativeTool(server: McpServer, { engine, logger, resolveUser }: ToolContext): void {
  server.registerTool(
    'regenerate_narrative',
    REGENERATE_NARRATIVE_TOOL,
    (args, extra) =>
      runTool('regenerate_narrative', logger, async () => {
        const user = await resolveUser(extra);
        const progressToken = extra._meta?.progressToken;
        const progress = (step: number, message: string) => {
          if (progressToken === undefined) return;
          void extra
            .sendNotification({ method: 'notifications/progress', params: { progressToken, progress: step, total: 3, message } })
            .catch(() => undefined);
        };
        if (args.wait) progress(0, 'queued');
        const answer = await engine.regeneration.regenerate(user.id, {
          wait: args.wait,
          ...(args.wait ? { onRunning: () => progress(1, 'writing the narrative') } : {}),
        });
        if (args.wait && answer.state === 'completed') progress(3, `version ${answer.version} written`);
        return toolResult(describeAnswer(answer), { ...answer });
      }),
  );
}

function describeAnswer(answer: RegenerationAnswer): string {
  switch (answer.state) {
    case 'queued':
    case 'running':
      return `Regeneration ${answer.state}; the current narrative is version ${answer.version ?? 'none'}.`;
    case 'completed':
      return `Narrative version ${answer.version} written.`;
    case 'failed':
      return `Regeneration failed (${answer.kind}): ${answer.message}. The previous narrative is kept.`;
    case 'rate_limited':
      return `Too many regenerations; try again after ${answer.retry_at} (in ${answer.retry_after_seconds} s).`;
    case 'not_eligible':
      return `No narrative yet: the user has ${answer.memory_count} of the ${answer.min_memories} memories needed.`;
  }
}
