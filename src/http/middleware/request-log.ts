import type { RequestHandler } from 'express';
import type { Logger } from 'pino';

/** One debug line per request: method, path, status, time, key id. Never headers, so never a key. */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    if (!logger.isLevelEnabled('debug')) return next();
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const auth = (req as typeof req & { auth?: { clientId?: string } }).auth;
      logger.debug(
        { method: req.method, path: req.path, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6, keyId: auth?.clientId },
        'http request',
      );
    });
    next();
  };
}
