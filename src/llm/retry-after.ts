import { SECOND_MS } from '../clock/durations.js';

/**
 * The delay a failed HTTP response asks for before the next attempt: `retry-after-ms` (OpenAI's
 * milliseconds) first, then `retry-after` as delay seconds or an HTTP date (`now` in milliseconds
 * since the epoch reads the date). Undefined when neither header says anything usable.
 */
export function retryAfterMs(headers: { get(name: string): string | null } | null | undefined, now: number): number | undefined {
  const milliseconds = headers?.get('retry-after-ms');
  if (milliseconds && /^\s*\d+(\.\d+)?\s*$/.test(milliseconds)) return Math.round(Number(milliseconds));
  return parseRetryAfter(headers?.get('retry-after') ?? null, now);
}

/** An HTTP `Retry-After`: delay seconds or a date. */
export function parseRetryAfter(header: string | null, now: number): number | undefined {
  if (!header) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(header)) return Math.round(Number(header) * SECOND_MS);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
