import { Router } from 'express';
import { z } from 'zod';
import type { OAuthGrantRepository } from '../../repositories/oauth-grant-repository.js';
import { redirectTarget } from '../oauth/consent-page.js';
import { ownerOfRequest } from '../request-user.js';
import { sendError } from '../send-error.js';

/**
 * The OAuth clients the user approved (`GET /api/v1/oauth/grants`) and revoking one
 * (`DELETE /api/v1/oauth/grants/:id`), which ends its tokens at their next request in every process.
 */
export function connectedClientsRoutes(grants: OAuthGrantRepository): Router {
  const router = Router();

  router.get('/oauth/grants', async (req, res) => {
    const listed = await grants.listGrants(ownerOfRequest(req).id);
    res.json({
      grants: listed.map((grant) => ({
        id: grant.id,
        client_id: grant.clientId,
        client_name: grant.clientName,
        redirect_host: grant.redirectUris[0] === undefined ? null : redirectTarget(grant.redirectUris[0]),
        created_at: grant.createdAt.toISOString(),
        last_used_at: grant.lastUsedAt?.toISOString() ?? null,
      })),
    });
  });

  router.delete('/oauth/grants/:id', async (req, res) => {
    const id = z.uuid().safeParse(req.params.id);
    if (!id.success || !(await grants.revokeGrant(ownerOfRequest(req).id, id.data))) {
      sendError(res, 404, 'not_found', 'No connected client with this id.');
      return;
    }
    res.json({ revoked: id.data });
  });

  return router;
}
