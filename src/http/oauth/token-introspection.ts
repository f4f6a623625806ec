import { createHash } from 'node:crypto';
import { InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { z } from 'zod';
import type { Clock } from '../../clock/clock.js';
import { SECOND_MS } from '../../clock/durations.js';
import { boundedFetch, IssuerUnavailableError } from './external-issuer.js';

/** An answer is reused this long (never past the token's expiry): a revocation at the issuer takes this long to be seen. */
const CACHE_MS = 30 * SECOND_MS;
const CACHE_ENTRIES = 10_000;

/** RFC 7662 §2.2; claims beyond these (the user claim among them) are kept. */
const introspectionSchema = z.looseObject({
  active: z.boolean(),
  iss: z.string().optional(),
  aud: z.union([z.string(), z.array(z.string())]).optional(),
  exp: z.number().optional(),
  nbf: z.number().optional(),
});

export type IntrospectedClaims = z.infer<typeof introspectionSchema>;

export interface TokenIntrospectionOptions {
  url: string;
  clientId: string;
  clientSecret: string;
  issuer: string;
  /** The token's `aud` must name one of these. */
  audiences: readonly string[];
  clockToleranceMs: number;
  clock: Clock;
}

/**
 * Asks the issuer whether a token is active (RFC 7662), as a client authenticated with HTTP Basic,
 * and checks what it answers as a JWT's claims would be: issuer, audience, expiry. Answers are
 * held half a minute, by the token's hash, so a busy client costs one introspection per token and
 * half-minute.
 */
export class TokenIntrospection {
  readonly #answers = new Map<string, { claims: IntrospectedClaims; until: number }>();
  readonly #authorization: string;

  constructor(private readonly options: TokenIntrospectionOptions) {
    // RFC 6749 §2.3.1: each part form-encoded before they are joined.
    const encode = (part: string) => encodeURIComponent(part).replace(/%20/g, '+');
    this.#authorization = `Basic ${Buffer.from(`${encode(options.clientId)}:${encode(options.clientSecret)}`).toString('base64')}`;
  }

  /** The claims of an active token for this server; throws `InvalidTokenError` saying why not. */
  async claims(token: string): Promise<IntrospectedClaims> {
    const key = createHash('sha256').update(token).digest('base64url');
    const now = this.options.clock.now();
    const held = this.#answers.get(key);
    const claims = held && held.until > now ? held.claims : await this.#introspect(token);
    if (claims !== held?.claims) this.#hold(key, claims, now);
    this.#check(claims, now);
    return claims;
  }

  #check(claims: IntrospectedClaims, now: number): void {
    const { issuer, audiences, clockToleranceMs } = this.options;
    if (!claims.active) throw new InvalidTokenError('The issuer says this access token is not active (expired, revoked or unknown).');
    if (claims.iss !== undefined && claims.iss !== issuer) throw new InvalidTokenError(`This access token was issued by ${claims.iss}, not ${issuer}.`);
    const aud = typeof claims.aud === 'string' ? [claims.aud] : (claims.aud ?? []);
    if (!aud.some((audience) => audiences.includes(audience))) throw new InvalidTokenError(`This access token is not for this server (its audience must be ${audiences.join(' or ')}).`);
    if (claims.exp !== undefined && claims.exp * SECOND_MS + clockToleranceMs <= now) throw new InvalidTokenError('This access token has expired; refresh it.');
    if (claims.nbf !== undefined && claims.nbf * SECOND_MS - clockToleranceMs > now) throw new InvalidTokenError('This access token is not valid yet.');
  }

  #hold(key: string, claims: IntrospectedClaims, now: number): void {
    if (this.#answers.size >= CACHE_ENTRIES) this.#answers.delete(this.#answers.keys().next().value!);
    const expiry = claims.active && claims.exp !== undefined ? claims.exp * SECOND_MS : Infinity;
    this.#answers.set(key, { claims, until: Math.min(now + CACHE_MS, expiry) });
  }

  async #introspect(token: string): Promise<IntrospectedClaims> {
    const { url } = this.options;
    let response: Response;
    try {
      response = await boundedFetch(url, {
        method: 'POST',
        headers: { authorization: this.#authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
      });
    } catch (error) {
      if (error instanceof IssuerUnavailableError) throw error;
      throw new IssuerUnavailableError(`the introspection endpoint ${url} cannot be reached: ${(error as Error).message}`, { cause: error });
    }
    if (response.status !== 200) throw new IssuerUnavailableError(`the introspection endpoint ${url} answered ${response.status}`);
    const parsed = introspectionSchema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) throw new IssuerUnavailableError(`the introspection endpoint ${url} answered something that is not an introspection response`);
    return parsed.data;
  }
}
