import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { isDatabaseUnavailable } from '../db/is-database-unavailable.js';
import { UserFacingError } from '../errors/user-facing-error.js';
import { sendError } from './send-error.js';

/**
 * Turns every failure into the stable JSON error shape, never a stack trace. A failure after the
 * headers went out (a stream that broke half-way) can no longer be answered: Express's own handler
 * then ends the connection, so the client is not left waiting for a response that never ends.
 */
export function errorHandler(maxBodyBytes: number, logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) {
      logger.error({ err: error }, 'request failed after its response had started');
      next(error);
      return;
    }
    const status = (error as { status?: number; statusCode?: number }).status ?? (error as { statusCode?: number }).statusCode;
    const type = (error as { type?: string }).type;
    if (error instanceof UserFacingError) return sendError(res, 400, 'invalid_request', error.message);
    if (type === 'entity.too.large') return sendError(res, 413, 'too_large', `The request body is larger than ${maxBodyBytes} bytes.`);
    if (type === 'entity.parse.failed') return sendError(res, 400, 'invalid_json', 'The request body is not valid JSON.');
    if (status && status >= 400 && status < 500) return sendError(res, status, 'invalid_request', 'The request could not be read.');
    if (isDatabaseUnavailable(error)) {
      logger.warn({ err: error }, 'request failed: the database is unreachable');
      return sendError(res, 503, 'unavailable', 'The database is unreachable right now; try again in a few seconds.', { 'Retry-After': '5' });
    }
    logger.error({ err: error }, 'request failed');
    sendError(res, 500, 'internal', 'Something went wrong on the server; the error is logged.');
  };
}
