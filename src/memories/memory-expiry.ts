import { z } from 'zod';
import { DAY_MS } from '../clock/durations.js';

/** The longest `ttl_days` accepted: ten years. A fact meant to last longer should not expire at all. */
export const MAX_TTL_DAYS = 3_650;

export const expiresAtSchema = z
  .string({ error: 'expires_at must be a string' })
  .pipe(z.iso.datetime({ offset: true, error: 'expires_at must be an ISO 8601 date-time such as 2024-05-01T12:00:00Z' }))
  .transform((text) => new Date(text));

export const ttlDaysSchema = z
  .number({ error: 'ttl_days must be a number of days' })
  .positive({ error: 'ttl_days must be more than 0' })
  .max(MAX_TTL_DAYS, { error: `ttl_days must be at most ${MAX_TTL_DAYS} (ten years)` });

/** How a memory's expiry is asked for: a moment, a number of days from when it is written, or neither. */
export interface ExpiryRequest {
  expires_at?: Date | undefined;
  ttl_days?: number | undefined;
}

/**
 * When a memory written at `now` expires (null: never), or why it cannot be stored: both ways of
 * asking were used, or the moment asked for is not in the future. A past expiry is refused rather
 * than stored as a memory already gone, since it is almost always a mistake in the call.
 */
export function resolveExpiry(request: ExpiryRequest, now: number): { expiresAt: Date | null } | { problem: string } {
  if (request.expires_at !== undefined && request.ttl_days !== undefined) {
    return { problem: 'give expires_at or ttl_days, not both' };
  }
  if (request.ttl_days !== undefined) return { expiresAt: new Date(now + request.ttl_days * DAY_MS) };
  if (request.expires_at === undefined) return { expiresAt: null };
  if (request.expires_at.getTime() <= now) {
    return { problem: `expires_at ${request.expires_at.toISOString()} is not in the future (it is now ${new Date(now).toISOString()})` };
  }
  return { expiresAt: request.expires_at };
}

/** Whether a memory with this expiry is gone at `now`: from the moment it expires, it is. */
export function isExpired(expiresAt: Date | null, now: number): boolean {
  return expiresAt !== null && expiresAt.getTime() <= now;
}
