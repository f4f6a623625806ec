import { randomUUID } from 'node:crypto';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { isDatabaseUnavailable } from '../db/is-database-unavailable.js';

/**
 * Runs a resource, prompt or subscription handler so that a failure reaches the client as a
 * protocol error a person can act on. Without it the SDK would answer with the raw error's
 * message, which for a database error names the query's problem or the server's address.
 */
export async function runRequest<T>(what: string, logger: Logger, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof McpError) throw error;
    if (isDatabaseUnavailable(error)) {
      logger.warn({ err: error, request: what }, 'request failed: the database is unreachable');
      throw new McpError(ErrorCode.InternalError, `${what} is unavailable: the database is unreachable right now. Try again in a few seconds.`);
    }
    const reference = randomUUID();
    logger.error({ err: error, request: what, reference }, 'request failed');
    throw new McpError(
      ErrorCode.InternalError,
      `${what} failed because of an internal error (reference ${reference}); an operator can find the reference in the server log.`,
    );
  }
}
