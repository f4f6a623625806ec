import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { NarrativeChanges, TextChange } from '../../engine/narrative-changes.js';
import type { NarrativeStatus } from '../../engine/narrative-status-service.js';
import type { ToolContext } from '../tool-context.js';
import { runTool, toolResult } from '../tool-result.js';

const CHANGED_MEMORY = z.object({ id: z.string(), content: z.string(), created_at: z.string(), updated_at: z.string().nullable() });

/** Built once: every session's server registers the same schemas. */
const NARRATIVE_STATUS_TOOL = {
  title: "Status of the user's narrative",
  description:
    "Reports the user's narrative: version, when it was written, whether it is stale and why, memories added, deleted or " +
    'updated since, whether it was built in full or revised and the tokens it cost, whether a background job is queued or running, ' +
    'the last generation failure, when it refreshes next, and what changed from the previous version (memories added, corrected ' +
    'and deleted in between, and a word-level difference of the two texts).',
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
    changes: z
      .object({
        from_version: z.number().int(),
        from_generated_at: z.string(),
        to_version: z.number().int(),
        memories: z.object({ added: z.number().int(), updated: z.number().int(), deleted: z.number().int(), expired: z.number().int() }),
        added: z.array(CHANGED_MEMORY),
        updated: z.array(CHANGED_MEMORY),
        text: z.array(z.object({ change: z.enum(['same', 'added', 'removed']), text: z.string() })).nullable(),
      })
      .nullable(),
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
  if (status.changes) lines.push(describeChanges(status.changes));
  lines.push(`Background job: ${status.job}.`);
  if (status.last_failure) {
    lines.push(`Last generation failed at ${status.last_failure.at} (${status.last_failure.kind}): ${status.last_failure.message}`);
  }
  return lines.join('\n');
}

/** "Since v3: 4 memories added, 1 corrected, 2 deleted, 0 expired; 37 words added and 12 removed." */
function describeChanges(changes: NarrativeChanges): string {
  const { added, updated, deleted, expired } = changes.memories;
  const memories = `${added} ${added === 1 ? 'memory' : 'memories'} added, ${updated} corrected, ${deleted} deleted, ${expired} expired`;
  if (!changes.text) return `Since v${changes.from_version}: ${memories}; the previous text is no longer kept (a memory it used was deleted, corrected or expired).`;
  const words = (kind: TextChange['change']) =>
    changes.text!.filter((part) => part.change === kind).reduce((sum, part) => sum + (part.text.match(/\S+/g)?.length ?? 0), 0);
  return `Since v${changes.from_version}: ${memories}; ${words('added')} words added and ${words('removed')} removed.`;
}
