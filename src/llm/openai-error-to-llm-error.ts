import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { contextLengthFailure, statusFailure } from './http-failure.js';
import { LlmError } from './llm-error.js';
import { retryAfterMs } from './retry-after.js';
import { sdkErrorToLlmError, type SdkErrorClasses, type SdkFailureContext } from './sdk-error-to-llm-error.js';

/**
 * What OpenAI-compatible servers say when the prompt and the output limit exceed the context:
 * OpenAI and Groq (`context_length_exceeded`), vLLM and OpenRouter ("maximum context length"),
 * llama.cpp (`exceed_context_size_error`, "exceeds the available context size").
 */
const CONTEXT_LENGTH_MESSAGE = /context length|context size|context window|maximum context|too many tokens/i;

interface OpenAiFailureContext extends SdkFailureContext {
  /** Whether a key was sent, so a refusal can say that one is needed. */
  hasKey: boolean;
}

const OPENAI_ERRORS: SdkErrorClasses<APIError> = { APIError, APIConnectionError, APIConnectionTimeoutError };

/** Classifies anything the `openai` SDK throws for one chat completion; `context.who` is `OpenAI` or `the OpenAI-compatible server at …`. */
export function openAiErrorToLlmError(error: unknown, context: OpenAiFailureContext): LlmError {
  return sdkErrorToLlmError(error, context, OPENAI_ERRORS, (apiError, status) => fromApiError(apiError, status, context));
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
