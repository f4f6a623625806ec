import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { NarrativeStatus } from '../../engine/narrative-status-service.js';
import type { ToolContext } from '../tool-context.js';
import { runTool, toolResult } from '../tool-result.js';

/** Built once: every session's server registers the same schemas. */
const NARRATIVE_STATUS_TOOL = {
  title: "Status of the user's narrative",
  description:
    "Reports the user's narrative: version, when it was written, whether it is stale and why, memories added, deleted or " +
    'updated since, whether it was built in full or revised and the tokens it cost, whether a background job is queued or running, ' +
    'the last generation failure and when it refreshes next.',
  inputSchema: {},
  outputSchema: {
    eligible: z.boolean(),
    memory_count: z.number().int(),
    min_memories: z.number().int(),
    narrative: z
      .object({
        version: z.number().int(),
        generated_at: z.string(),
        age_seconds: z.number(),
        state: z.enum(['fresh', 'stale', 'expired']),
        stale_reasons: z.array(z.string()),
        memories_added_since: z.number().int(),
        memory_deleted_since: z.boolean(),
        memory_updated_since: z.boolean(),
        memory_expired_since: z.boolean(),
        provider: z.string(),
        model: z.string(),
        built_from_memories: z.number().int(),
        generation_ms: z.number(),
        build_kind: z.enum(['full', 'incremental']),
        last_full_build_at: z.string().nullable(),
        tokens: z.object({ input: z.number().int(), output: z.number().int() }).nullable(),
      })
      .nullable(),
    job: z.enum(['idle', 'queued', 'running']),
    last_attempt_at: z.string().nullable(),
    last_success_at: z.string().nullable(),
    last_failure: z
      .object({ at: z.string(), kind: z.string(), message: z.string(), consecutive_failures: z.number().int() })
      .nullable(),
    next_refresh_at: z.string().nullable(),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
};

export function registerNarrativeStatusTool(server: McpServer, { engine, logger, resolveUser }: ToolContext): void {
  server.registerTool(
    'narrative_status',
    NARRATIVE_STATUS_TOOL,
    (_args, extra) =>
      runTool('narrative_status', logger, async () => {
        const user = await resolveUser(extra);
        const status = await engine.status.status(user.id);
        return toolResult(describeStatus(status), { ...status });
      }),
  );
}

function describeStatus(status: NarrativeStatus): string {
  const lines: string[] = [];
  if (status.narrative) {
    const n = status.narrative;
    const why = n.stale_reasons.length > 0 ? ` (${n.stale_reasons.join(', ')})` : '';
    lines.push(`Narrative v${n.version}, written ${n.generated_at} by ${n.model}: ${n.state}${why}.`);
    const tokens = n.tokens ? `, ${n.tokens.input} input and ${n.tokens.output} output tokens` : '';
    lines.push(n.build_kind === 'full' ? `Built in full from the memories${tokens}.` : `Revised with the memories added since the last full build (${n.last_full_build_at})${tokens}.`);
    lines.push(`${n.memories_added_since} memories added since; next refresh by ${status.next_refresh_at}.`);
  } else {
    lines.push(
      status.eligible
        ? 'No narrative yet.'
        : `No narrative: the user has ${status.memory_count} of the ${status.min_memories} memories needed.`,
    );
  }
  lines.push(`Background job: ${status.job}.`);
  if (status.last_failure) {
    lines.push(`Last generation failed at ${status.last_failure.at} (${status.last_failure.kind}): ${status.last_failure.message}`);
  }
  return lines.join('\n');
}
