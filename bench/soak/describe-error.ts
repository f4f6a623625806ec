import { inspect } from 'node:util';

/** An error's message and, for fetch's bare "fetch failed", what failed underneath (a reset, a timeout). */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error).slice(0, 120);
  return `${error.message}${causeDetail(error.cause)}`.slice(0, 120);
}

/** The cause's code, else its message, else the cause itself as it would be logged. */
function causeDetail(cause: unknown): string {
  if (cause === undefined) return '';
  const { code, message } = (typeof cause === 'object' && cause !== null ? cause : {}) as { code?: unknown; message?: unknown };
  const detail: unknown = code ?? message ?? cause;
  return `: ${typeof detail === 'string' ? detail : inspect(detail, { breakLength: Infinity })}`;
}
