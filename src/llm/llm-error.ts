export type LlmErrorKind =
  | 'rate_limited'
  | 'server_error'
  | 'timeout'
  | 'network'
  | 'blocked'
  | 'empty'
  | 'invalid_output'
  | 'unauthorized'
  | 'bad_request'
  /** The prompt does not fit the model's context: the same prompt would fail again. */
  | 'context_length'
  | 'aborted';

/** Whether a failure of this kind is worth another attempt. */
export const RETRYABLE_LLM_ERRORS: ReadonlySet<LlmErrorKind> = new Set([
  'rate_limited',
  'server_error',
  'timeout',
  'network',
  'empty',
]);

/** A failed LLM call, classified so the retry policy and `narrative_status` can act on it. */
export class LlmError extends Error {
  override readonly name = 'LlmError';

  constructor(
    readonly kind: LlmErrorKind,
    message: string,
    readonly options: { retryAfterMs?: number; status?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
  }

  get retryable(): boolean {
    return RETRYABLE_LLM_ERRORS.has(this.kind);
  }

  get retryAfterMs(): number | undefined {
    return this.options.retryAfterMs;
  }
}
