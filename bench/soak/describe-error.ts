/** An error's message and, for fetch's bare "fetch failed", what failed underneath (a reset, a timeout). */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error).slice(0, 120);
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const detail = cause === undefined ? '' : `: ${String(cause.code ?? cause.message ?? cause)}`;
  return `${error.message}${detail}`.slice(0, 120);
}
