import { isHttpsOrLoopback } from '../../config/loopback.js';

/** How the server names itself to OAuth clients, all from its public base URL. */
export interface OAuthUrls {
  /** The base URL clients reach the server at, without a trailing slash. */
  publicUrl: string;
  /** The authorization server's issuer identifier (RFC 8414), also sent as `iss` (RFC 9207). */
  issuer: string;
  /** The protected resource (RFC 8707, RFC 9728): the MCP endpoint. Tokens are bound to it. */
  resource: string;
  /** Where the resource's metadata is served; every 401 points to it. */
  resourceMetadataUrl: string;
}

/** `HTTP_PUBLIC_URL`, or the address the server listens on. */
export function publicUrlOf(configured: string | undefined, host: string, port: number): string {
  if (configured !== undefined) return configured;
  return `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

export function oauthUrls(publicUrl: string): OAuthUrls {
  return {
    publicUrl,
    issuer: new URL(publicUrl).href,
    resource: `${publicUrl}/mcp`,
    resourceMetadataUrl: `${publicUrl}/.well-known/oauth-protected-resource/mcp`,
  };
}

/**
 * OAuth 2.1 requires https, except on the machine itself: an issuer on plain http elsewhere is
 * refused (the MCP SDK's router would throw), so the server then offers API keys only.
 */
export function oauthOffered(publicUrl: string): boolean {
  return isHttpsOrLoopback(new URL(publicUrl));
}
