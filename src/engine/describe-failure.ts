import { randomUUID } from 'node:crypto';
import { isDatabaseUnavailable } from '../db/is-database-unavailable.js';
import { LlmError } from '../llm/llm-error.js';

export interface FailureDescription {
  kind: string;
  /** Safe to show the user: an LLM error's own message, or a fixed sentence. */
  message: string;
  /** Set when the failure's detail is only in the log: the caller logs it under this reference. */
  reference?: string;
}

/**
 * A failure as `narrative_status` shows it: a kind to act on and a message without internals.
 * `LlmError` messages are written by us; any other error's text may be SQL, a driver's or a
 * stack's, so the user gets a kind and a reference, and the detail goes to the log with it.
 */
export function describeFailure(error: unknown): FailureDescription {
  if (error instanceof LlmError) return { kind: error.kind, message: error.message };
  if (isDatabaseUnavailable(error)) return { kind: 'database_unavailable', message: 'the database was unavailable' };
  const reference = randomUUID();
  return { kind: 'internal', message: `an internal error; reference ${reference}`, reference };
}
