import { APIConnectionError, APIConnectionTimeoutError, APIError } from '@anthropic-ai/sdk';
import { contextLengthFailure, statusFailure } from './http-failure.js';
import type { LlmError } from './llm-error.js';
import { retryAfterMs } from './retry-after.js';
import { sdkErrorToLlmError, type SdkErrorClasses, type SdkFailureContext } from './sdk-error-to-llm-error.js';

/** Anthropic's 400 for a prompt beyond the context: "prompt is too long: … tokens > … maximum". */
const CONTEXT_LENGTH_MESSAGE = /prompt is too long|exceed(s)? (the )?context (window|limit)/i;

const ANTHROPIC_ERRORS: SdkErrorClasses<APIError> = { APIError, APIConnectionError, APIConnectionTimeoutError };

/** Classifies anything `@anthropic-ai/sdk` throws for one message; `context.who` is `Anthropic`, or `Anthropic at <base URL>`. */
export function anthropicErrorToLlmError(error: unknown, context: SdkFailureContext): LlmError {
  return sdkErrorToLlmError(error, context, ANTHROPIC_ERRORS, (apiError, status) => fromApiError(apiError, status, context));
}

function fromApiError(error: APIError, status: number, context: SdkFailureContext): LlmError {
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
