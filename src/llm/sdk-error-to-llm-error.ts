import { abortFailure, connectionFailure } from './http-failure.js';
import { isNetworkError } from './is-network-error.js';
import { LlmError } from './llm-error.js';

/**
 * The error classes of `openai` and of `@anthropic-ai/sdk`: both SDKs are generated from one
 * template, so they throw alike, a timeout being a connection error being an API error without a
 * status. (`@google/genai` is not one of them: its `ApiError` carries only a status and a body.)
 */
export interface SdkErrorClasses<ApiError extends Error & { status: number | undefined }> {
  APIError: abstract new (...args: never[]) => ApiError;
  APIConnectionError: abstract new (...args: never[]) => Error;
  APIConnectionTimeoutError: abstract new (...args: never[]) => Error;
}

/** The call that failed, as its failure's message and advice need it. */
export interface SdkFailureContext {
  /** The signal the call was made with: if it fired, the abort is the failure. */
  signal: AbortSignal;
  /** Who failed, e.g. `Anthropic` or `the OpenAI-compatible server at http://localhost:11434/v1`. */
  who: string;
  /** Milliseconds since the epoch, to read a `Retry-After` given as a date. */
  now: number;
  /** Named in the advice when the prompt is too long. */
  memoryBudgetChars: number;
}

/**
 * Classifies anything such an SDK throws for one call. An HTTP error answer goes to `fromApiError`,
 * which reads it in the terms of its own API; everything else fails the same way in both.
 */
export function sdkErrorToLlmError<ApiError extends Error & { status: number | undefined }>(
  error: unknown,
  context: SdkFailureContext,
  classes: SdkErrorClasses<ApiError>,
  fromApiError: (error: ApiError, status: number) => LlmError,
): LlmError {
  if (error instanceof LlmError) return error;
  if (context.signal.aborted) return abortFailure(context.signal, context, error);
  if (error instanceof classes.APIConnectionTimeoutError) {
    return new LlmError('timeout', `${context.who} did not answer in time: ${error.message}`, { cause: error });
  }
  if (error instanceof classes.APIConnectionError) return connectionFailure(context, error.cause ?? error);
  if (error instanceof classes.APIError && error.status !== undefined) return fromApiError(error, error.status);
  if (error instanceof SyntaxError) {
    return new LlmError('server_error', `${context.who} answered with a body that is not valid JSON: ${error.message}`, { cause: error });
  }
  if (isNetworkError(error)) return connectionFailure(context, error);
  const said = error instanceof Error ? error.message : String(error);
  return new LlmError('bad_request', `The call to ${context.who} failed unexpectedly: ${said}`, { cause: error });
}
