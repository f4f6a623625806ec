import { LlmError } from '../llm/llm-error.js';

export interface FailureDescription {
  kind: string;
  message: string;
}

/** A failure as `narrative_status` shows it: a kind to act on and a message without internals. */
export function describeFailure(error: unknown): FailureDescription {
  if (error instanceof LlmError) return { kind: error.kind, message: error.message };
  if (error instanceof Error) return { kind: 'internal', message: error.message };
  return { kind: 'internal', message: String(error) };
}
