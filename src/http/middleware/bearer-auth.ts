import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { ApiKeyRepository } from '../../repositories/api-key-repository.js';
import { authInfoFor } from '../request-user.js';
import { sendError } from '../send-error.js';

const CHALLENGE = 'Bearer realm="narrative-mcp"';

/**
 * Requires `Authorization: Bearer <key>`; the key decides the user. Looked up by its hash (in a
 * serving process usually among the key owners it holds, which a revocation empties at once, see
 * `KeyOwnerCache`), so a revoked key stops working at once. The key is never logged.
 */
export function bearerAuth(apiKeys: ApiKeyRepository, logger: Logger): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      sendError(res, 401, 'unauthorized', 'Send your key as "Authorization: Bearer <key>" (create one with `narrative-mcp keys create`).', {
        'WWW-Authenticate': CHALLENGE,
      });
      return;
    }
    let owner;
    try {
      owner = await apiKeys.findOwnerByKey(match[1]!);
    } catch (error) {
      logger.error({ err: error }, 'key lookup failed');
      sendError(res, 503, 'unavailable', 'The server cannot check keys right now; try again shortly.', { 'Retry-After': '5' });
      return;
    }
    if (!owner) {
      sendError(res, 401, 'unauthorized', 'This key is unknown or revoked.', {
        'WWW-Authenticate': `${CHALLENGE}, error="invalid_token"`,
      });
      return;
    }
    (req as Request & { auth?: AuthInfo }).auth = authInfoFor(owner);
    next();
  };
}
