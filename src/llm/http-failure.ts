import { describeNetworkError } from './is-network-error.js';
import { LlmError } from './llm-error.js';

/** Who failed, for messages: e.g. `Anthropic` or `the OpenAI-compatible server at http://localhost:11434/v1`. */
interface Failed {
  who: string;
  /** The variable that holds the key, named when the key is refused. */
  keyVariable: string;
}

/** A call whose signal fired: our timeout (a `TimeoutError` reason) or a cancellation. */
export function abortFailure(signal: AbortSignal, failed: Pick<Failed, 'who'>, cause: unknown): LlmError {
  const reason: unknown = signal.reason;
  return reason instanceof Error && reason.name === 'TimeoutError'
    ? new LlmError('timeout', `${failed.who} did not answer in time: ${reason.message}`, { cause })
    : new LlmError('aborted', `The call to ${failed.who} was cancelled`, { cause });
}

/** A connection that could not be made or broke, named so the reader can check the URL. */
export function connectionFailure(failed: Pick<Failed, 'who'>, cause: unknown): LlmError {
  return new LlmError('network', `Could not reach ${failed.who}: ${describeNetworkError(cause)}`, { cause });
}

/**
 * An HTTP error answer, by status: 429 is a rate limit, 408 a timeout, 5xx (Anthropic's 529
 * overloaded included) a server error, 401 and 403 a refused key; anything else a bad request.
 * `said` is the server's own message.
 */
export function statusFailure(
  status: number,
  said: string,
  failed: Failed,
  options: { retryAfterMs?: number; cause: unknown },
): LlmError {
  const message = `${failed.who} answered ${status}: ${said}`;
  const details = { status, cause: options.cause, ...(options.retryAfterMs === undefined ? {} : { retryAfterMs: options.retryAfterMs }) };
  if (status === 429) return new LlmError('rate_limited', message, details);
  if (status === 408) return new LlmError('timeout', message, details);
  if (status >= 500) return new LlmError('server_error', message, details);
  if (status === 401 || status === 403) return new LlmError('unauthorized', `${message} (check ${failed.keyVariable})`, details);
  return new LlmError('bad_request', message, details);
}

/** A prompt the model cannot take whole: retrying it as it is would fail the same way. */
export function contextLengthFailure(status: number, said: string, who: string, memoryBudgetChars: number, cause: unknown): LlmError {
  return new LlmError(
    'context_length',
    `${who} answered ${status}: ${said} (the prompt does not fit the model's context: lower LLM_PROMPT_BUDGET_CHARS, now ${memoryBudgetChars} characters of memories)`,
    { status, cause },
  );
}
