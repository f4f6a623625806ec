import express, { type Express } from 'express';
import type { App } from '../app/app.js';
import { projectPath } from '../config/project-path.js';
import { errorHandler } from './error-handler.js';
import { HttpMetrics } from './http-metrics.js';
import { bearerAuth, type AccessTokenCheck } from './middleware/bearer-auth.js';
import { coalesceWrites } from './middleware/coalesce-writes.js';
import { keyRateLimit } from './middleware/key-rate-limit.js';
import { requestGuards } from './middleware/request-guards.js';
import { requestLog } from './middleware/request-log.js';
import { ExternalTokenVerifier } from './oauth/external-token-verifier.js';
import { oauthRoutes } from './oauth/oauth-routes.js';
import { oauthOffered, oauthUrls } from './oauth/oauth-urls.js';
import { protectedResourceRoutes } from './oauth/protected-resource-routes.js';
import { connectedClientsRoutes } from './routes/connected-clients-routes.js';
import { mcpSseRoutes } from './routes/mcp-sse-routes.js';
import { mcpStatelessRoutes } from './routes/mcp-stateless-routes.js';
import { mcpStreamableRoutes, type McpRoutes } from './routes/mcp-streamable-routes.js';
import { narrativeApiRoutes } from './routes/narrative-api-routes.js';
import { operationsRoutes } from './routes/operations-routes.js';
import { sendError } from './send-error.js';

export interface HttpApp {
  express: Express;
  /** Closes the MCP sessions (Streamable HTTP and SSE). */
  closeSessions(): Promise<void>;
}

/**
 * The hosted server: MCP (Streamable HTTP and legacy SSE), the REST API and the dashboard, with
 * Host/Origin checks, body limits, bearer keys and per-key rate limits.
 */
export interface HttpAppOptions {
  /**
   * `stateful` keeps MCP sessions in this process (Streamable HTTP with `Mcp-Session-Id`, and the
   * legacy SSE transport); `stateless` answers each POST on its own, so any of several processes
   * can, and offers no SSE transport (its messages must reach the process holding the stream).
   */
  readonly sessions: 'stateful' | 'stateless';
}

export function createHttpApp(app: App, port: () => number, publicUrl: string, options: HttpAppOptions = { sessions: app.config.HTTP_SESSIONS }): HttpApp {
  const { config, engine, logger } = app;
  const server = express();
  server.disable('x-powered-by');
  // Limits counted by address (the OAuth endpoints') tell clients apart behind a proxy only when it is trusted.
  server.set('trust proxy', config.HTTP_TRUST_PROXY);
  const httpMetrics = new HttpMetrics();
  server.use(httpMetrics.middleware());
  server.use(requestLog(logger));
  server.use(
    requestGuards({ listenHost: config.HTTP_HOST, publicUrl, allowedHosts: config.HTTP_ALLOWED_HOSTS, allowedOrigins: config.HTTP_ALLOWED_ORIGINS, port }),
  );
  server.use(operationsRoutes(app, httpMetrics));
  const urls = oauthUrls(publicUrl);
  let accessTokens: AccessTokenCheck | undefined;
  if (config.OAUTH_ISSUER !== undefined) {
    // An external authorization server signs users in: this server only checks its tokens.
    accessTokens = ExternalTokenVerifier.fromConfig(config, urls.resource, { users: app.repositories.users, clock: app.clock, logger });
    server.use(protectedResourceRoutes(urls, config.OAUTH_ISSUER));
  } else if (oauthOffered(publicUrl)) {
    const oauth = oauthRoutes(app, urls);
    accessTokens = oauth.provider;
    server.use(oauth.router);
  } else {
    logger.warn({ publicUrl }, 'OAuth sign-in is off: it needs HTTP_PUBLIC_URL to be https (or a loopback address); API keys work as before');
  }
  server.use(
    express.static(projectPath('dashboard'), {
      index: 'index.html',
      maxAge: 0,
      // The page has no inline script or style, so nothing but its own files may run.
      setHeaders: (res) => res.set('Content-Security-Policy', "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"),
    }),
  );

  const authenticated = [
    bearerAuth({ apiKeys: app.repositories.apiKeys, accessTokens, resourceMetadataUrl: accessTokens && urls.resourceMetadataUrl, logger }),
    keyRateLimit(config.HTTP_RATE_LIMIT_PER_MINUTE),
  ];
  const json = express.json({ limit: config.HTTP_MAX_BODY_BYTES, strict: true });
  const stateless = options.sessions === 'stateless';
  const streamable = stateless ? mcpStatelessRoutes(engine, logger) : mcpStreamableRoutes(engine, logger, app.clock);
  const sse = stateless ? undefined : mcpSseRoutes(engine, logger);
  server.use(['/mcp', '/sse', '/messages', '/api'], ...authenticated);
  server.use(['/mcp', '/messages', '/api'], json);
  server.post('/mcp', coalesceWrites());
  server.use(streamable.router);
  if (sse) server.use(sse.router);
  else {
    server.use(['/sse', '/messages'], (_req, res) =>
      sendError(res, 404, 'not_found', 'The legacy SSE transport needs MCP sessions, which this server does not keep: use Streamable HTTP at /mcp.'),
    );
  }
  server.use('/api/v1', narrativeApiRoutes(engine));
  server.use('/api/v1', connectedClientsRoutes(app.repositories.oauthGrants));
  server.use('/api', (_req, res) => sendError(res, 404, 'not_found', 'No such endpoint.'));
  server.use(errorHandler(app.config.HTTP_MAX_BODY_BYTES, app.logger));

  const sessions: McpRoutes[] = sse ? [streamable, sse] : [streamable];
  return { express: server, closeSessions: async () => void (await Promise.all(sessions.map((routes) => routes.closeAll()))) };
}
