import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { abortFailure, connectionFailure, contextLengthFailure, statusFailure } from './http-failure.js';
import { isNetworkError } from './is-network-error.js';
import { LlmError } from './llm-error.js';
import { retryAfterMs } from './retry-after.js';

/**
 * What OpenAI-compatible servers say when the prompt and the output limit exceed the context:
 * OpenAI and Groq (`context_length_exceeded`), vLLM and OpenRouter ("maximum context length"),
 * llama.cpp (`exceed_context_size_error`, "exceeds the available context size").
 */
const CONTEXT_LENGTH_MESSAGE = /context length|context size|context window|maximum context|too many tokens/i;

interface OpenAiFailureContext {
  /** The signal the call was made with: if it fired, the abort is the failure. */
  signal: AbortSignal;
  /** `OpenAI` or `the OpenAI-compatible server at …`. */
  who: string;
  /** Milliseconds since the epoch, to read a `Retry-After` given as a date. */
  now: number;
  /** Named in the advice when the prompt is too long. */
  memoryBudgetChars: number;
  /** Whether a key was sent, so a refusal can say that one is needed. */
  hasKey: boolean;
}

/** Classifies anything the `openai` SDK throws for one chat completion. */
export function openAiErrorToLlmError(error: unknown, context: OpenAiFailureContext): LlmError {
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

function fromApiError(error: APIError, status: number, context: OpenAiFailureContext): LlmError {
  const body: { message?: unknown } | undefined = error.error;
  const said = typeof body?.message === 'string' ? body.message : error.message;
  const tooLong =
    error.code === 'context_length_exceeded' ||
    error.type === 'exceed_context_size_error' ||
    ((status === 400 || status === 413) && CONTEXT_LENGTH_MESSAGE.test(said));
  if (tooLong) return contextLengthFailure(status, said, context.who, context.memoryBudgetChars, error);
  // A spent quota is refused with 429 too, but waiting does not refill it.
  if (error.code === 'insufficient_quota') {
    return new LlmError('unauthorized', `${context.who} answered ${status}: ${said} (check the plan and billing of OPENAI_API_KEY's account)`, {
      status,
      cause: error,
    });
  }
  const keyVariable = context.hasKey ? 'OPENAI_API_KEY' : 'OPENAI_API_KEY: the server wants a key and none is set';
  const delay = retryAfterMs(error.headers, context.now);
  return statusFailure(status, said, { who: context.who, keyVariable }, { cause: error, ...(delay === undefined ? {} : { retryAfterMs: delay }) });
}
