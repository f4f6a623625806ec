import type { OAuthRegisteredClientsStore } from '@modelcontextprotocol/sdk/server/auth/clients.js';
import { InvalidClientError, InvalidClientMetadataError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { OAuthClientInformationFull } from '@modelcontextprotocol/sdk/shared/auth.js';
import { hashApiKey as hashSecret } from '../../repositories/api-key-repository.js';
import type { Clock } from '../../clock/clock.js';
import { isLoopbackHost } from '../../config/loopback.js';
import { HOUR_MS } from '../../clock/durations.js';
import type { OAuthClientRepository } from '../../repositories/oauth-client-repository.js';
import {
  CLIENT_METADATA_FETCH,
  ClientMetadataError,
  fetchClientMetadataDocument,
  isClientMetadataUrl,
  type ClientMetadataFetchOptions,
} from './client-metadata-document.js';

/** A fetched metadata document is used this long before it is fetched again. */
const METADATA_DOCUMENT_MAX_AGE_MS = HOUR_MS;

/**
 * The clients the server knows, in the database: those registered with Dynamic Client
 * Registration (RFC 7591), and those whose id is the URL of their Client ID Metadata Document,
 * fetched when first seen and again after an hour. A confidential client's secret is stored as a
 * hash and never handed back: `getClient` answers without it, and `clientSecretCheck` (which runs
 * before the SDK's token and revocation handlers) authenticates the client instead of the SDK's
 * plain comparison.
 */
export class OAuthClientsStore implements OAuthRegisteredClientsStore {
  readonly #fetch: ClientMetadataFetchOptions;

  constructor(
    private readonly clients: OAuthClientRepository,
    private readonly clock: Clock,
    options: Pick<ClientMetadataFetchOptions, 'allowPrivate'> & Partial<ClientMetadataFetchOptions>,
  ) {
    this.#fetch = { ...CLIENT_METADATA_FETCH, ...options };
  }

  async getClient(clientId: string): Promise<OAuthClientInformationFull | undefined> {
    let record = await this.clients.find(clientId);
    if (isClientMetadataUrl(clientId, this.#fetch.allowPrivate) && (record === undefined || record.metadataFetchedAt !== null)) {
      const fetchedAt = record?.metadataFetchedAt?.getTime();
      if (fetchedAt === undefined || this.clock.now() - fetchedAt >= METADATA_DOCUMENT_MAX_AGE_MS) {
        try {
          const metadata = await fetchClientMetadataDocument(clientId, this.#fetch);
          record = await this.clients.keepFetched(clientId, metadata, new Date(this.clock.now()));
        } catch (error) {
          if (error instanceof ClientMetadataError) throw new InvalidClientError(error.message);
          throw error;
        }
      }
    }
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
      if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
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
