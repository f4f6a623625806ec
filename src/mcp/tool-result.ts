import { randomUUID } from 'node:crypto';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { isDatabaseUnavailable } from '../db/is-database-unavailable.js';
import { UserFacingError } from '../errors/user-facing-error.js';

/** A successful result: a short text for the model and the same facts as structured content. */
export function toolResult(text: string, structured: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text }], structuredContent: structured };
}

/**
 * Runs a tool body so that a failure becomes a tool error a person can act on: an unreachable
 * database says so; other unexpected errors are logged with a reference and answered without
 * internals (no SQL, no stack).
 */
export async function runTool(tool: string, logger: Logger, body: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof UserFacingError) {
      return { content: [{ type: 'text', text: error.message }], isError: true };
    }
    if (isDatabaseUnavailable(error)) {
      logger.warn({ err: error, tool }, 'tool failed: the database is unreachable');
      return { content: [{ type: 'text', text: `${tool} could not run: the database is unreachable right now. Try again in a few seconds.` }], isError: true };
    }
    const reference = randomUUID();
    logger.error({ err: error, tool, reference }, 'tool failed');
    return {
      content: [{ type: 'text', text: `${tool} failed because of an internal error (reference ${reference}). Try again; if it persists, an operator can find the reference in the server log.` }],
      isError: true,
    };
  }
}
