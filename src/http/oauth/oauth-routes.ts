import { metadataHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/metadata.js';
import { createOAuthMetadata, mcpAuthRouter } from '@modelcontextprotocol/sdk/server/auth/router.js';
import { Router } from 'express';
import type { App } from '../../app/app.js';
import { clientSecretCheck } from './client-secret-check.js';
import { consentRoutes } from './consent-routes.js';
import { OAuthClientsStore } from './oauth-clients-store.js';
import { OAuthProvider } from './oauth-provider.js';
import type { OAuthUrls } from './oauth-urls.js';
import { protectedResourceRoutes } from './protected-resource-routes.js';

/**
 * This server as an OAuth 2.1 authorization server and the metadata of its protected resource:
 * `/.well-known/oauth-authorization-server` (RFC 8414), `/.well-known/oauth-protected-resource`
 * and `…/mcp` (RFC 9728), `/authorize` (the consent page), `/oauth/consent`, `/token`,
 * `/register` (RFC 7591) and `/revoke` (RFC 7009). The endpoints themselves are the MCP SDK's.
 * Clients register, or are known by the URL of their Client ID Metadata Document.
 */
export function oauthRoutes(app: App, urls: OAuthUrls): { router: Router; provider: OAuthProvider } {
  const clients = new OAuthClientsStore(app.repositories.oauthClients, app.clock, { allowPrivate: app.config.OAUTH_CLIENT_METADATA_ALLOW_PRIVATE });
  const provider = new OAuthProvider(clients, app.repositories.oauthGrants, urls, app.clock);
  const issuerUrl = new URL(urls.issuer);
  const router = Router();

  const serverMetadata = {
    ...createOAuthMetadata({ provider, issuerUrl }),
    authorization_response_iss_parameter_supported: true,
    client_id_metadata_document_supported: true,
  };
  router.use('/.well-known/oauth-authorization-server', metadataHandler(serverMetadata));
  router.use(protectedResourceRoutes(urls, urls.issuer));
  router.post(['/token', '/revoke'], ...clientSecretCheck(app.repositories.oauthClients));
  // RFC 9207: every answer sent back to the client names the issuer, including the errors the SDK's handler sends.
  router.use('/authorize', (_req, res, next) => {
    const redirect = res.redirect.bind(res) as (status: number, url: string) => void;
    (res as { redirect: (status: number, url: string) => void }).redirect = (status, url) => {
      const target = new URL(url);
      target.searchParams.set('iss', urls.issuer);
      redirect(status, target.href);
    };
    next();
  });
  router.use(consentRoutes({ apiKeys: app.repositories.apiKeys, grants: app.repositories.oauthGrants, clients, urls }));
  router.use(
    mcpAuthRouter({
      provider,
      issuerUrl,
      resourceServerUrl: new URL(urls.resource),
      resourceName: 'narrative-mcp',
      // Secrets are stored hashed and never expire; a client that loses one registers again.
      clientRegistrationOptions: { clientSecretExpirySeconds: 0 },
    }),
  );
  return { router, provider };
}
