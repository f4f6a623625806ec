import { ApiError } from '@google/genai';
import { SECOND_MS } from '../clock/durations.js';
import { isNetworkError } from './is-network-error.js';
import { LlmError } from './llm-error.js';
import { parseRetryAfter } from './retry-after.js';

interface GoogleErrorBody {
  error?: {
    code?: number;
    message?: string;
    status?: string;
    details?: { '@type'?: string; retryDelay?: string; reason?: string }[];
  };
}

interface GeminiFailureContext {
  /** The signal the call was made with: if it fired, the abort is the failure. */
  signal: AbortSignal;
  /** The `Retry-After` header of the failed response, if any. */
  retryAfterHeader: string | null;
  /** Milliseconds since the epoch, to read a `Retry-After` given as a date. */
  now: number;
}

/**
 * Classifies anything `@google/genai` throws. The SDK's `ApiError` carries only the HTTP status
 * and the JSON error body as its message; the response headers are gone, so the caller passes
 * `Retry-After` in separately.
 */
export function geminiErrorToLlmError(error: unknown, context: GeminiFailureContext): LlmError {
  if (error instanceof LlmError) return error;
  if (context.signal.aborted) {
    const reason: unknown = context.signal.reason;
    return reason instanceof Error && reason.name === 'TimeoutError'
      ? new LlmError('timeout', `Gemini did not answer in time: ${reason.message}`, { cause: error })
      : new LlmError('aborted', 'The Gemini call was cancelled', { cause: error });
  }
  if (error instanceof ApiError) return fromApiError(error, context);
  if (error instanceof SyntaxError) {
    return new LlmError('server_error', `Gemini answered with a body that is not valid JSON: ${error.message}`, { cause: error });
  }
  if (isNetworkError(error)) {
    return new LlmError('network', `Gemini could not be reached: ${describe(error)}`, { cause: error });
  }
  return new LlmError('bad_request', `The Gemini call failed unexpectedly: ${describe(error)}`, { cause: error });
}

function fromApiError(error: ApiError, context: GeminiFailureContext): LlmError {
  const body = parseBody(error.message);
  const details = body.error?.details ?? [];
  const status = error.status;
  const said = `Gemini answered ${status} ${body.error?.status ?? ''}: ${body.error?.message ?? error.message}`.replace(' :', ':');
  const retryInfo = details.find((detail) => detail['@type']?.endsWith('google.rpc.RetryInfo'))?.retryDelay;
  const retryAfterMs = parseDuration(retryInfo) ?? parseRetryAfter(context.retryAfterHeader, context.now);
  const options = { status, cause: error, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  const badKey = details.some((detail) => detail.reason === 'API_KEY_INVALID');

  if (status === 429) return new LlmError('rate_limited', said, options);
  if (status === 408) return new LlmError('timeout', said, options);
  if (status >= 500) return new LlmError('server_error', said, options);
  if (status === 401 || status === 403 || badKey) {
    return new LlmError('unauthorized', `${said} (check GEMINI_API_KEY)`, options);
  }
  return new LlmError('bad_request', said, options);
}

function parseBody(message: string): GoogleErrorBody {
  try {
    const parsed: unknown = JSON.parse(message);
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}

/** A protobuf Duration in JSON, e.g. `2s` or `1.5s`. */
function parseDuration(duration: string | undefined): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)s\s*$/.exec(duration ?? '');
  return match ? Math.round(Number(match[1]) * SECOND_MS) : undefined;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`;
}
