import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/**
 * An external authorization server on 127.0.0.1, as Keycloak or Auth0 looks to a resource server:
 * RFC 8414 metadata, a JWKS of the keys it publishes (ES256, made with jose), and an RFC 7662
 * introspection endpoint for a client with a secret. Counts the fetches of its keys.
 */
export class FakeIssuer {
  /** The keys the JWKS publishes. */
  published: SigningKey[] = [];
  /** What introspection answers for each token (inactive for any other). */
  readonly introspected = new Map<string, Record<string, unknown>>();
  /** What the JWKS endpoint answers: the keys, more than 256 kB, or a redirect to the keys. */
  keysAnswer: 'keys' | 'oversized' | 'redirect' = 'keys';
  jwksFetches = 0;
  introspections = 0;
  readonly introspectionClient = { clientId: 'narrative resource', clientSecret: 's3cret:with/odd=chars' };

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeIssuer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const issuer = new FakeIssuer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/realms/test`);
    server.on('request', (req, res) => {
      void issuer.#answer(req).then(({ status, body, headers }) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
      });
    });
    issuer.published = [await FakeIssuer.newKey()];
    return issuer;
  }

  static async newKey(): Promise<SigningKey> {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const kid = randomUUID();
    return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
  }

  /** Publishes a new key in place of the old ones and returns it. */
  async rotate(): Promise<SigningKey> {
    const key = await FakeIssuer.newKey();
    this.published = [key];
    return key;
  }

  /** A JWT signed with `key` (the first published one by default), issued now and expiring in `expiresIn` seconds. */
  sign(claims: JWTPayload, options: { key?: SigningKey; kid?: string; now: number; expiresIn?: number }): Promise<string> {
    const key = options.key ?? this.published[0]!;
    const seconds = Math.floor(options.now / 1000);
    return new SignJWT({ iss: this.url, iat: seconds, exp: seconds + (options.expiresIn ?? 300), ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? key.kid, typ: 'at+jwt' })
      .sign(key.privateKey);
  }

  async #answer(req: IncomingMessage): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
    const path = new URL(req.url!, this.url).pathname;
    if (path === '/.well-known/oauth-authorization-server/realms/test') {
      return {
        status: 200,
        body: {
          issuer: this.url,
          authorization_endpoint: `${this.url}/auth`,
          token_endpoint: `${this.url}/token`,
          jwks_uri: `${this.url}/certs`,
          introspection_endpoint: `${this.url}/introspect`,
          response_types_supported: ['code'],
        },
      };
    }
    if (path === '/realms/test/certs') {
      this.jwksFetches += 1;
      if (this.keysAnswer === 'redirect') return { status: 302, body: {}, headers: { location: `${this.url}/certs` } };
      if (this.keysAnswer === 'oversized') return { status: 200, body: { keys: this.published.map((key) => key.publicJwk), padding: 'x'.repeat(300_000) } };
      return { status: 200, body: { keys: this.published.map((key) => key.publicJwk) } };
    }
    if (path === '/realms/test/introspect' && req.method === 'POST') {
      this.introspections += 1;
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const { clientId, clientSecret } = this.introspectionClient;
      const expected = `Basic ${Buffer.from(`${encodeURIComponent(clientId).replace(/%20/g, '+')}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
      if (req.headers.authorization !== expected) return { status: 401, body: { error: 'invalid_client' } };
      const token = new URLSearchParams(Buffer.concat(chunks).toString()).get('token') ?? '';
      return { status: 200, body: this.introspected.get(token) ?? { active: false } };
    }
    return { status: 404, body: { error: 'not_found' } };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
