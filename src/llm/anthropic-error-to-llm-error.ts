import { APIConnectionError, APIConnectionTimeoutError, APIError } from '@anthropic-ai/sdk';
import { abortFailure, connectionFailure, contextLengthFailure, statusFailure } from './http-failure.js';
import { isNetworkError } from './is-network-error.js';
import { LlmError } from './llm-error.js';
import { retryAfterMs } from './retry-after.js';

/** Anthropic's 400 for a prompt beyond the context: "prompt is too long: … tokens > … maximum". */
const CONTEXT_LENGTH_MESSAGE = /prompt is too long|exceed(s)? (the )?context (window|limit)/i;

interface AnthropicFailureContext {
  /** The signal the call was made with: if it fired, the abort is the failure. */
  signal: AbortSignal;
  /** `Anthropic`, or `Anthropic at <base URL>` for another base URL. */
  who: string;
  /** Milliseconds since the epoch, to read a `Retry-After` given as a date. */
  now: number;
  /** Named in the advice when the prompt is too long. */
  memoryBudgetChars: number;
}

/** Classifies anything `@anthropic-ai/sdk` throws for one message. */
export function anthropicErrorToLlmError(error: unknown, context: AnthropicFailureContext): LlmError {
  if (error instanceof LlmError) return error;
  if (context.signal.aborted) return abortFailure(context.signal, context, error);
  if (error instanceof APIConnectionTimeoutError) {
    return new LlmError('timeout', `${context.who} did not answer in time: ${error.message}`, { cause: error });
  }
  if (error instanceof APIConnectionError) return connectionFailure(context, error.cause ?? error);
  if (isApiError(error) && error.status !== undefined) return fromApiError(error, error.status, context);
  if (error instanceof SyntaxError) {
    return new LlmError('server_error', `${context.who} answered with a body that is not valid JSON: ${error.message}`, { cause: error });
  }
  if (isNetworkError(error)) return connectionFailure(context, error);
  const said = error instanceof Error ? error.message : String(error);
  return new LlmError('bad_request', `The call to ${context.who} failed unexpectedly: ${said}`, { cause: error });
}

/** `instanceof` alone types the SDK's error with `any` for its status, headers and body. */
function isApiError(error: unknown): error is APIError {
  return error instanceof APIError;
}

function fromApiError(error: APIError, status: number, context: AnthropicFailureContext): LlmError {
  const said = error.apiMessage ?? error.message;
  const saidWithType = error.type ? `${error.type}: ${said}` : said;
  if (status === 400 && CONTEXT_LENGTH_MESSAGE.test(said)) {
    return contextLengthFailure(status, saidWithType, context.who, context.memoryBudgetChars, error);
  }
  const delay = retryAfterMs(error.headers, context.now);
  return statusFailure(
    status,
    saidWithType,
    { who: context.who, keyVariable: 'ANTHROPIC_API_KEY' },
    { cause: error, ...(delay === undefined ? {} : { retryAfterMs: delay }) },
  );
}
