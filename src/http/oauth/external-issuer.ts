import { discoverAuthorizationServerMetadata } from '@modelcontextprotocol/sdk/client/auth.js';
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { Logger } from 'pino';
import type { Clock } from '../../clock/clock.js';
import { MINUTE_MS, SECOND_MS } from '../../clock/durations.js';

/** Each fetch from the issuer (its metadata, its keys, an introspection) gets this long and this many bytes. */
export const ISSUER_FETCH = { timeoutMs: 5 * SECOND_MS, maxBytes: 262_144 };
/** Keys held are fetched again after this long, so a key the issuer withdrew stops working. */
const KEYS_MAX_AGE_MS = 10 * MINUTE_MS;
/** A token naming a key not held fetches the keys again, at most this often (tokens can name any kid). */
const KEYS_REFETCH_COOLDOWN_MS = 30 * SECOND_MS;

/** The issuer cannot be reached or answers nonsense: a token cannot be checked now (not that it is bad). */
export class IssuerUnavailableError extends Error {
  override readonly name = 'IssuerUnavailableError';
}

/**
 * A fetch bounded in time and size that follows no redirect; answers a `Response` whose body has
 * been read in full, so a caller's `.json()` never waits on the network.
 */
export async function boundedFetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(ISSUER_FETCH.timeoutMs) });
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Leaving the loop early cancels the rest of the body.
  for await (const chunk of (response.body ?? []) as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > ISSUER_FETCH.maxBytes) throw new IssuerUnavailableError(`${String(url)} answered more than ${ISSUER_FETCH.maxBytes} bytes`);
    chunks.push(chunk);
  }
  return new Response(response.status === 204 || response.status === 304 ? null : Buffer.concat(chunks), { status: response.status, headers: response.headers });
}

/**
 * An external authorization server, as the resource server sees it: its metadata, discovered once
 * (RFC 8414, or OpenID Connect discovery) and its signing keys (the JWKS its metadata names), held
 * and fetched again when they are ten minutes old or a token names a key not among them.
 */
export class ExternalIssuer {
  #jwksUri: Promise<string> | undefined;
  #keys: { verify: JWTVerifyGetKey; fetchedAt: number } | undefined;
  #fetching: Promise<JWTVerifyGetKey> | undefined;
  #lastFetchAt = -Infinity;
  #lastFailure: Error | undefined;

  constructor(
    readonly issuer: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** The key a token's header names, for jose's `jwtVerify`. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    const held = this.#keys;
    const stale = !held || this.clock.now() - held.fetchedAt >= KEYS_MAX_AGE_MS;
    const verify = stale ? await this.#refreshKeys(held?.verify) : held.verify;
    try {
      return await verify(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || this.clock.now() - this.#lastFetchAt < KEYS_REFETCH_COOLDOWN_MS) throw error;
      return (await this.#refreshKeys(verify))(header, token);
    }
  };

  /** Fetches the keys (one fetch for all who ask at once); on failure keeps `fallback` when there is one. */
  async #refreshKeys(fallback: JWTVerifyGetKey | undefined): Promise<JWTVerifyGetKey> {
    // With no keys yet and the issuer just found unreachable, tokens are not a way to make it fetch again and again.
    if (!fallback && this.#lastFailure !== undefined && this.clock.now() - this.#lastFetchAt < KEYS_REFETCH_COOLDOWN_MS) throw this.#lastFailure;
    this.#fetching ??= this.#fetchKeys().finally(() => (this.#fetching = undefined));
    try {
      return await this.#fetching;
    } catch (error) {
      if (!fallback) throw error;
      this.logger.warn({ err: error, issuer: this.issuer }, 'the issuer’s keys cannot be fetched again; the keys held are used');
      return fallback;
    }
  }

  async #fetchKeys(): Promise<JWTVerifyGetKey> {
    this.#lastFetchAt = this.clock.now();
    try {
      return await this.#fetchKeysOnce();
    } catch (error) {
      this.#lastFailure = error instanceof Error ? error : new Error(String(error));
      throw error;
    }
  }

  async #fetchKeysOnce(): Promise<JWTVerifyGetKey> {
    const jwksUri = await this.#discoverJwksUri();
    const response = await this.#fetch(jwksUri);
    let verify: JWTVerifyGetKey;
    try {
      verify = createLocalJWKSet((await response.json()) as JSONWebKeySet);
    } catch (error) {
      throw new IssuerUnavailableError(`the issuer’s keys at ${jwksUri} are not a JSON Web Key Set`, { cause: error });
    }
    this.#keys = { verify, fetchedAt: this.clock.now() };
    this.#lastFailure = undefined;
    return verify;
  }

  #discoverJwksUri(): Promise<string> {
    this.#jwksUri ??= this.#discover().catch((error: unknown) => {
      // Discovery is tried again with the next fetch of keys, which is itself held back by the cooldown.
      this.#jwksUri = undefined;
      throw error;
    });
    return this.#jwksUri;
  }

  async #discover(): Promise<string> {
    let metadata: Awaited<ReturnType<typeof discoverAuthorizationServerMetadata>>;
    try {
      metadata = await discoverAuthorizationServerMetadata(this.issuer, { fetchFn: boundedFetch });
    } catch (error) {
      throw new IssuerUnavailableError(`the metadata of the issuer ${this.issuer} cannot be read: ${(error as Error).message}`, { cause: error });
    }
    if (!metadata) throw new IssuerUnavailableError(`the issuer ${this.issuer} publishes no OAuth or OpenID Connect metadata`);
    // RFC 8414 §3.3: metadata naming another issuer must not be used.
    if (metadata.issuer !== this.issuer) throw new IssuerUnavailableError(`the metadata found for ${this.issuer} names another issuer, ${metadata.issuer}`);
    const jwksUri = (metadata as { jwks_uri?: unknown }).jwks_uri;
    if (typeof jwksUri !== 'string') throw new IssuerUnavailableError(`the issuer ${this.issuer} publishes no jwks_uri; configure OAUTH_INTROSPECTION_URL instead`);
    return jwksUri;
  }

  async #fetch(url: string): Promise<Response> {
    let response: Response;
    try {
      response = await boundedFetch(url, { headers: { accept: 'application/json' } });
    } catch (error) {
      if (error instanceof IssuerUnavailableError) throw error;
      throw new IssuerUnavailableError(`${url} cannot be fetched: ${(error as Error).message}`, { cause: error });
    }
    if (response.status !== 200) throw new IssuerUnavailableError(`${url} answered ${response.status}`);
    return response;
  }
}
