import { AccessDeniedError, InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { errors, jwtVerify, type JWTPayload } from 'jose';
import type { Logger } from 'pino';
import type { Clock } from '../../clock/clock.js';
import { SECOND_MS } from '../../clock/durations.js';
import type { Config } from '../../config/config.js';
import { API_KEY_PREFIX } from '../../repositories/api-key-repository.js';
import type { UserRepository } from '../../repositories/user-repository.js';
import { externalIdSchema } from '../../users/external-id.js';
import type { AccessTokenCheck } from '../middleware/bearer-auth.js';
import { ExternalIssuer } from './external-issuer.js';
import { TokenIntrospection } from './token-introspection.js';

/** Signature algorithms accepted: public-key ones only, so no `none` and no HMAC keyed with a public key. */
export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
/** Clocks of the issuer and this server may differ this much when `exp` and `nbf` are judged. */
const CLOCK_TOLERANCE_MS = 30 * SECOND_MS;

/** What jose's refusals mean, told to the client. */
const JOSE_REFUSALS: Record<string, string> = {
  ERR_JWT_EXPIRED: 'This access token has expired; refresh it.',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'The signature of this access token does not verify.',
  ERR_JWKS_NO_MATCHING_KEY: 'This access token is signed with a key the issuer does not publish.',
  ERR_JOSE_ALG_NOT_ALLOWED: `This access token is signed with an algorithm this server does not accept (only ${JWT_ALGORITHMS.join(', ')}).`,
  ERR_JWS_INVALID: 'This access token is not a signed JWT.',
  ERR_JWT_INVALID: 'This access token is not a valid JWT.',
};

export interface ExternalTokenVerifierOptions {
  issuer: string;
  /** A token's `aud` must name one of these. */
  audiences: readonly string[];
  /** The claim naming the user. */
  userClaim: string;
  /** Create a user the issuer names for the first time, or refuse them. */
  createUsers: boolean;
  /** Ask the issuer (RFC 7662) instead of verifying JWTs here. */
  introspection?: { url: string; clientId: string; clientSecret: string } | undefined;
  users: UserRepository;
  clock: Clock;
  logger: Logger;
}

/**
 * Access tokens of an external authorization server (`OAUTH_ISSUER`): JWTs verified with the
 * issuer's published keys (`iss`, `aud`, `exp` and `nbf` with half a minute's tolerance, public-key
 * algorithms only), or opaque tokens introspected. The user claim names the user by external id.
 * API keys are told apart by their prefix and never reach it.
 */
export class ExternalTokenVerifier implements AccessTokenCheck {
  readonly #issuer: ExternalIssuer;
  readonly #introspection: TokenIntrospection | undefined;

  constructor(private readonly options: ExternalTokenVerifierOptions) {
    this.#issuer = new ExternalIssuer(options.issuer, options.clock, options.logger);
    this.#introspection =
      options.introspection &&
      new TokenIntrospection({ ...options.introspection, issuer: options.issuer, audiences: options.audiences, clockToleranceMs: CLOCK_TOLERANCE_MS, clock: options.clock });
  }

  static fromConfig(config: Config, resource: string, dependencies: Pick<ExternalTokenVerifierOptions, 'users' | 'clock' | 'logger'>): ExternalTokenVerifier {
    const { OAUTH_INTROSPECTION_URL: url, OAUTH_INTROSPECTION_CLIENT_ID: clientId, OAUTH_INTROSPECTION_CLIENT_SECRET: clientSecret } = config;
    return new ExternalTokenVerifier({
      issuer: config.OAUTH_ISSUER!,
      audiences: config.OAUTH_AUDIENCE === undefined ? [resource] : [resource, config.OAUTH_AUDIENCE],
      userClaim: config.OAUTH_USER_CLAIM,
      createUsers: config.OAUTH_CREATE_USERS,
      introspection: url !== undefined && clientId !== undefined && clientSecret !== undefined ? { url, clientId, clientSecret } : undefined,
      ...dependencies,
    });
  }

  accepts(token: string): boolean {
    return !token.startsWith(API_KEY_PREFIX);
  }

  /** The user of a valid token; throws `InvalidTokenError` saying why a token is not, `AccessDeniedError` for a user not admitted. */
  async verifyAccessToken(token: string): Promise<AuthInfo & { extra: { id: string; externalId: string; keyId: string } }> {
    const claims = this.#introspection ? await this.#introspection.claims(token) : await this.#verifyJwt(token);
    const { userClaim } = this.options;
    const externalId = externalIdSchema.safeParse(claims[userClaim]);
    if (!externalId.success) {
      throw new InvalidTokenError(`This access token's ${userClaim} claim is not a user id this server accepts (${externalId.error.issues[0]!.message}).`);
    }
    const user = this.options.createUsers
      ? await this.options.users.getOrCreate(externalId.data)
      : await this.options.users.findByExternalId(externalId.data);
    if (!user) throw new AccessDeniedError(`There is no user "${externalId.data}" on this server; its operator adds users with \`narrative-mcp users add\`.`);
    const clientId = [claims.client_id, claims.azp].find((value): value is string => typeof value === 'string') ?? this.options.issuer;
    return {
      // The token itself never travels further than the middleware.
      token: `oauth:${user.id}`,
      clientId,
      scopes: typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [],
      ...(typeof claims.exp === 'number' ? { expiresAt: claims.exp } : {}),
      extra: { id: user.id, externalId: user.external_id, keyId: `oauth:${user.id}` },
    };
  }

  async #verifyJwt(token: string): Promise<JWTPayload> {
    try {
      const { payload } = await jwtVerify(token, this.#issuer.getKey, {
        issuer: this.options.issuer,
        audience: [...this.options.audiences],
        algorithms: JWT_ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_MS / SECOND_MS,
        currentDate: new Date(this.options.clock.now()),
        requiredClaims: ['exp'],
      });
      return payload;
    } catch (error) {
      if (error instanceof errors.JWTClaimValidationFailed) throw new InvalidTokenError(claimRefusal(error, this.options));
      if (error instanceof errors.JOSEError) throw new InvalidTokenError(JOSE_REFUSALS[error.code] ?? `This access token is refused: ${error.message}.`);
      throw error;
    }
  }
}

function claimRefusal(error: InstanceType<typeof errors.JWTClaimValidationFailed>, options: ExternalTokenVerifierOptions): string {
  switch (error.claim) {
    case 'iss':
      return `This access token was not issued by ${options.issuer}.`;
    case 'aud':
      return `This access token is not for this server (its audience must be ${options.audiences.join(' or ')}).`;
    case 'nbf':
      return 'This access token is not valid yet.';
    case 'exp':
      return 'This access token has no expiry; this server accepts only tokens that expire.';
    default:
      return `This access token's ${error.claim} claim is refused: ${error.reason}.`;
  }
}
