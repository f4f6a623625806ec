import type { OAuthRegisteredClientsStore } from '@modelcontextprotocol/sdk/server/auth/clients.js';
import { InvalidClientMetadataError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { OAuthClientInformationFull } from '@modelcontextprotocol/sdk/shared/auth.js';
import { hashApiKey as hashSecret } from '../../repositories/api-key-repository.js';
import type { OAuthClientRepository } from '../../repositories/oauth-client-repository.js';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Clients registered with Dynamic Client Registration (RFC 7591), kept in the database. A
 * confidential client's secret is stored as a hash and never handed back: `getClient` answers
 * without it, and `clientSecretCheck` (which runs before the SDK's token and revocation
 * handlers) authenticates the client instead of the SDK's plain comparison.
 */
export class OAuthClientsStore implements OAuthRegisteredClientsStore {
  constructor(private readonly clients: OAuthClientRepository) {}

  async getClient(clientId: string): Promise<OAuthClientInformationFull | undefined> {
    const record = await this.clients.find(clientId);
    if (!record) return undefined;
    return {
      ...(record.metadata as Omit<OAuthClientInformationFull, 'client_id'>),
      client_id: record.clientId,
      client_id_issued_at: Math.floor(record.createdAt.getTime() / 1000),
    };
  }

  async registerClient(client: OAuthClientInformationFull): Promise<OAuthClientInformationFull> {
    for (const uri of client.redirect_uris) {
      const url = new URL(uri);
      // OAuth 2.1: redirect URIs are https, plain http only back to the client's own machine, or an app's own scheme.
      if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
        throw new InvalidClientMetadataError(`redirect_uri ${uri} must use https (plain http is allowed only for localhost and 127.0.0.1)`);
      }
      if (url.hash) throw new InvalidClientMetadataError(`redirect_uri ${uri} must not have a fragment`);
    }
    const { client_secret, client_secret_expires_at: _expiry, client_id, client_id_issued_at: _issued, ...metadata } = client;
    // Secrets go in the request body; a client that asked for HTTP Basic is told so in the answer.
    const method = client_secret === undefined ? 'none' : 'client_secret_post';
    const stored = { ...metadata, token_endpoint_auth_method: method };
    const record = await this.clients.register({ clientId: client_id, secretHash: client_secret === undefined ? null : hashSecret(client_secret), metadata: stored });
    return {
      ...stored,
      client_id: record.clientId,
      client_id_issued_at: Math.floor(record.createdAt.getTime() / 1000),
      ...(client_secret === undefined ? {} : { client_secret, client_secret_expires_at: 0 }),
    };
  }
}
