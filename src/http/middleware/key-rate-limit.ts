import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { MINUTE_MS, SECOND_MS } from '../../clock/durations.js';
import { ownerOfRequest } from '../request-user.js';
import { sendError } from '../send-error.js';

/** At most `perMinute` requests per key; beyond that 429 with `Retry-After`. */
export function keyRateLimit(perMinute: number): RequestHandler {
  return rateLimit({
    windowMs: MINUTE_MS,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req) => ownerOfRequest(req).keyId,
    handler: (req, res, _next, options) => {
      const resetTime = (req as typeof req & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = resetTime ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / SECOND_MS)) : Math.ceil(options.windowMs / SECOND_MS);
      sendError(res, 429, 'rate_limited', `Too many requests for this key; retry in ${seconds} s.`, { 'Retry-After': String(seconds) });
    },
  });
}
