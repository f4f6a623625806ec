import { metadataHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/metadata.js';
import type { OAuthProtectedResourceMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';
import { Router } from 'express';
import type { OAuthUrls } from './oauth-urls.js';

/**
 * Protected Resource Metadata (RFC 9728) at `/.well-known/oauth-protected-resource` and its form
 * suffixed with the resource's path, `…/mcp`: this server's MCP endpoint as the resource, and the
 * authorization server whose tokens it accepts (itself, or the external issuer).
 */
export function protectedResourceRoutes(urls: OAuthUrls, authorizationServer: string): Router {
  const metadata: OAuthProtectedResourceMetadata = {
    resource: urls.resource,
    authorization_servers: [authorizationServer],
    bearer_methods_supported: ['header'],
    resource_name: 'narrative-mcp',
  };
  const router = Router();
  router.use('/.well-known/oauth-protected-resource/mcp', metadataHandler(metadata));
  router.use('/.well-known/oauth-protected-resource', metadataHandler(metadata));
  return router;
}
