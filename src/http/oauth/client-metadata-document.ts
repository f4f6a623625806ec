import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { OAuthClientMetadataSchema, type OAuthClientMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';

/**
 * Client ID Metadata Documents: a client whose id is an https URL publishes its metadata (name,
 * redirect URIs) at that URL, and the authorization server fetches it instead of registering the
 * client. Fetching a URL a stranger chose is a way into the server's network, so the fetch is
 * bounded: no address that is private, loopback, link-local or otherwise not on the internet
 * (checked on the address actually connected to, so a DNS answer cannot change between check and
 * connection), no redirects, a few seconds, a few kilobytes.
 */
export interface ClientMetadataFetchOptions {
  /** Allow http and private and loopback addresses (tests, a private deployment). */
  allowPrivate: boolean;
  timeoutMs: number;
  maxBytes: number;
}

export const CLIENT_METADATA_FETCH: Omit<ClientMetadataFetchOptions, 'allowPrivate'> = { timeoutMs: 5_000, maxBytes: 16_384 };

/** Why a document was refused, in words the client's developer can act on. */
export class ClientMetadataError extends Error {
  override readonly name = 'ClientMetadataError';
}

const NOT_ON_THE_INTERNET = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 3],
] as const) {
  NOT_ON_THE_INTERNET.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [['::', 127], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96]] as const) {
  NOT_ON_THE_INTERNET.addSubnet(network, prefix, 'ipv6');
}

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  return family !== 0 && !NOT_ON_THE_INTERNET.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** Whether a client id is a metadata document's URL (else it is one we issued at registration). */
export function isClientMetadataUrl(clientId: string, allowPrivate: boolean): boolean {
  return clientId.startsWith('https://') || (allowPrivate && clientId.startsWith('http://'));
}

/** Fetches and checks the document at `clientId`; throws `ClientMetadataError` saying what is wrong. */
export async function fetchClientMetadataDocument(clientId: string, options: ClientMetadataFetchOptions): Promise<OAuthClientMetadata> {
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    throw new ClientMetadataError('client_id is not a URL');
  }
  if (url.protocol !== 'https:' && !(options.allowPrivate && url.protocol === 'http:')) throw new ClientMetadataError('client_id must be an https URL');
  if (url.pathname === '/' || url.hash || url.username || url.password) {
    throw new ClientMetadataError('client_id must be an https URL with a path, and no fragment or credentials');
  }
  const body = await fetchBounded(url, options);
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    throw new ClientMetadataError('the client metadata document is not JSON');
  }
  const parsed = OAuthClientMetadataSchema.safeParse(document);
  if (!parsed.success) throw new ClientMetadataError(`the client metadata document is not valid client metadata: ${parsed.error.issues[0]?.message ?? ''}`);
  if ((document as { client_id?: unknown }).client_id !== clientId) throw new ClientMetadataError('the client metadata document names another client_id');
  if ((parsed.data.token_endpoint_auth_method ?? 'none') !== 'none') {
    throw new ClientMetadataError('a client identified by a metadata document must be public (token_endpoint_auth_method "none")');
  }
  if (parsed.data.redirect_uris.length === 0) throw new ClientMetadataError('the client metadata document lists no redirect_uris');
  return { ...parsed.data, token_endpoint_auth_method: 'none' };
}

function fetchBounded(url: URL, options: ClientMetadataFetchOptions): Promise<string> {
  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    dnsLookup(hostname, { ...lookupOptions, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const refused = options.allowPrivate ? undefined : addresses.find((address) => !isPublicAddress(address.address));
      if (refused) return callback(new ClientMetadataError(`client_id's host ${hostname} is not on the internet (${refused.address})`), '', 0);
      if (lookupOptions.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
  return new Promise((resolve, reject) => {
    // A literal address is connected to without a lookup, so it is checked here.
    const literal = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (isIP(literal) !== 0 && !options.allowPrivate && !isPublicAddress(literal)) {
      reject(new ClientMetadataError(`client_id's host ${url.hostname} is not on the internet`));
      return;
    }
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      { method: 'GET', lookup, headers: { accept: 'application/json' }, timeout: options.timeoutMs, signal: AbortSignal.timeout(options.timeoutMs) },
      (response: IncomingMessage) => {
        if (response.statusCode !== 200) {
          response.resume();
          const moved = response.statusCode !== undefined && response.statusCode >= 300 && response.statusCode < 400;
          reject(new ClientMetadataError(moved ? 'the client metadata document redirects elsewhere, which is not followed' : `fetching the client metadata document answered ${response.statusCode}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBytes) {
            request.destroy(new ClientMetadataError(`the client metadata document is larger than ${options.maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new ClientMetadataError(`the client metadata document took longer than ${options.timeoutMs} ms`)));
    request.on('error', (error) => {
      if (error instanceof ClientMetadataError) reject(error);
      else if (error.name === 'AbortError' || error.name === 'TimeoutError') reject(new ClientMetadataError(`the client metadata document took longer than ${options.timeoutMs} ms`));
      else reject(new ClientMetadataError(`the client metadata document cannot be fetched: ${error.message}`));
    });
    request.end();
  });
}
