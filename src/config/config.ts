import { isIP } from 'node:net';
import { z } from 'zod';
import { ConfigError } from './config-error.js';
import { isHttpsOrLoopback } from './loopback.js';

const integer = (min: number, max: number, what: string) =>
  z.coerce
    .number({ error: `must be ${what}` })
    .int({ error: `must be ${what}` })
    .min(min, { error: `must be ${what}` })
    .max(max, { error: `must be ${what}` });

const positiveNumber = (what: string) =>
  z.coerce.number({ error: `must be ${what}` }).positive({ error: `must be ${what}` });

const hostList = (what: string) =>
  z
    .string()
    .transform((text) => text.split(',').map((part) => part.trim().toLowerCase()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[a-z0-9.:[\]-]+$/, { error: `must be ${what}` })).min(1, { error: `must be ${what}` }));

const originList = (what: string) =>
  z
    .string()
    .transform((text) => text.split(',').map((part) => part.trim()).filter(Boolean))
    .pipe(
      z
        .array(z.string().regex(/^https?:\/\/[^/\s]+$/, { error: `must be ${what}` }).transform((origin) => origin.toLowerCase()))
        .min(1, { error: `must be ${what}` }),
    );

const TRUST_PROXY_ERROR =
  'must be false, a number of proxies from 1 to 16, or a comma-separated list of the proxies\' addresses or ranges (such as 10.0.0.0/8) and loopback, linklocal or uniquelocal';
/** Express's names for address ranges. */
const ADDRESS_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** One trusted proxy: a range's name, an address, or an address with a prefix length. */
function isProxyAddress(entry: string): boolean {
  if (ADDRESS_RANGES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128));
}

/**
 * Which proxies' `X-Forwarded-For` tells a request's address (Express's `trust proxy`): none, the
 * nearest N, or those at these addresses. Trusting every address is refused: a client could then
 * name any address it likes, and be a new client to every limit counted by address.
 */
const trustedProxies = () =>
  z
    .string()
    .trim()
    .transform((text, context): false | number | string[] => {
      if (text === 'false') return false;
      if (/^\d+$/.test(text)) {
        const hops = Number(text);
        if (hops >= 1 && hops <= 16) return hops;
      } else {
        const entries = text.split(',').map((entry) => entry.trim().toLowerCase()).filter(Boolean);
        if (entries.length > 0 && entries.every(isProxyAddress)) return entries;
      }
      context.addIssue({ code: 'custom', message: text === 'true' ? `${TRUST_PROXY_ERROR}; true is refused: it would let any client choose its own address` : TRUST_PROXY_ERROR });
      return z.NEVER;
    });

const PUBLIC_URL_ERROR = 'must be the http(s) origin clients reach the server at, such as https://narrative.example.com (no path, query or fragment)';

const ISSUER_ERROR = 'must be the issuer identifier of an authorization server, an https URL (http only on a loopback address) with no query or fragment';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const LLM_PROVIDERS = ['offline', 'gemini', 'openai', 'anthropic'] as const;
export type LlmProviderName = (typeof LLM_PROVIDERS)[number];

const httpUrl = () => z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

const configShape = {
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { error: 'must be a postgres:// or postgresql:// URL' })
    .optional(),
  DATABASE_POOL_SIZE: integer(1, 1000, 'a whole number from 1 to 1000').default(10),
  DATABASE_STATEMENT_TIMEOUT_MS: integer(0, 86_400_000, "a whole number of milliseconds from 0 (the server's own) to 86400000").default(30_000),
  DATABASE_ACQUIRE_TIMEOUT_MS: integer(100, 600_000, 'a whole number of milliseconds from 100 to 600000').default(10_000),
  DATABASE_PREPARED_STATEMENTS: integer(0, 100_000, 'a whole number from 0 (none) to 100000').default(256),
  NARRATIVE_DATA_DIR: z.string().min(1).default('./.narrative-data'),
  /** Unset: the provider whose key or base URL is set, else offline. */
  LLM_PROVIDER: z.enum(LLM_PROVIDERS, { error: `must be one of ${LLM_PROVIDERS.join(', ')}` }).optional(),
  /** Unset: the provider's own default (for Gemini, GEMINI_NARRATIVE_MODEL / GEMINI_ANALYSIS_MODEL). */
  LLM_NARRATIVE_MODEL: z.string().min(1).optional(),
  LLM_ANALYSIS_MODEL: z.string().min(1).optional(),
  /** Unset: the provider's own budget. */
  LLM_PROMPT_BUDGET_CHARS: integer(1_000, 10_000_000, 'a whole number of characters from 1000 to 10000000').optional(),
  GEMINI_API_KEY: z.string().min(1).optional(),
  GEMINI_BASE_URL: httpUrl().optional(),
  GEMINI_NARRATIVE_MODEL: z.string().min(1).default('gemini-2.5-pro'),
  GEMINI_ANALYSIS_MODEL: z.string().min(1).default('gemini-2.5-flash'),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: httpUrl().optional(),
  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  ANTHROPIC_BASE_URL: httpUrl().optional(),
  NARRATIVE_TTL_DAYS: positiveNumber('a positive number of days').default(7),
  NARRATIVE_MAX_STALE_DAYS: positiveNumber('a positive number of days').default(30),
  NARRATIVE_MIN_MEMORIES: integer(1, 1_000_000, 'a whole number of at least 1').default(5),
  NARRATIVE_INVALIDATE_AFTER_NEW_MEMORIES: integer(1, 1_000_000, 'a whole number of at least 1').default(20),
  /** Renewed every third of it while the LLM writes; a crashed process's users wait this long for another. */
  NARRATIVE_LEASE_SECONDS: integer(3, 3_600, 'a whole number of seconds from 3 to 3600').default(60),
  /** A narrative revised with the memories added since is rebuilt from all of them at least this often. */
  NARRATIVE_FULL_REBUILD_DAYS: positiveNumber('a positive number of days').default(30),
  DEEP_ANALYSIS_BUDGET_MS: integer(100, 600_000, 'a whole number of milliseconds from 100 to 600000').default(10_000),
  LLM_CONCURRENCY: integer(1, 64, 'a whole number from 1 to 64').default(2),
  LLM_CALLS_PER_MINUTE: integer(1, 100_000, 'a whole number of at least 1').default(60),
  LLM_TIMEOUT_MS: integer(1_000, 600_000, 'a whole number of milliseconds from 1000 to 600000').default(120_000),
  LLM_MAX_RETRIES: integer(0, 10, 'a whole number from 0 to 10').default(3),
  REGENERATE_PER_HOUR: integer(1, 10_000, 'a whole number of at least 1').default(6),
  REFRESH_INTERVAL_MINUTES: integer(1, 10_080, 'a whole number of minutes from 1 to 10080').optional(),
  /** Unset: 24 hours, or half the TTL when that is shorter. */
  REFRESH_HORIZON_HOURS: positiveNumber('a positive number of hours').optional(),
  REFRESH_ACTIVE_DAYS: positiveNumber('a positive number of days').default(30),
  REFRESH_MAX_USERS: integer(1, 1_000_000, 'a whole number of at least 1').default(500),
  /** Expired memories behave as deleted at once; their rows are removed by the sweep this many days after they expire. */
  EXPIRED_MEMORY_RETENTION_DAYS: z.coerce
    .number({ error: 'must be a number of days from 0 to 36500' })
    .min(0, { error: 'must be a number of days from 0 to 36500' })
    .max(36_500, { error: 'must be a number of days from 0 to 36500' })
    .default(0),
  CONTEXT_MEMORIES: integer(0, 50, 'a whole number from 0 to 50').default(10),
  HOT_TIER_MB: integer(0, 1_000_000, 'a whole number of megabytes (0 turns the tier off)').default(64),
  HOT_TIER_MAX_AGE_SECONDS: integer(1, 86_400, 'a whole number of seconds from 1 to 86400').default(60),
  HOT_TIER_MAX_USER_MEMORIES: integer(1, 1_000_000, 'a whole number of at least 1').default(5_000),
  NARRATIVE_USER: z.string().min(1).default('local'),
  MAX_MEMORY_CHARS: integer(1, 1_000_000, 'a whole number of characters from 1 to 1000000').default(10_000),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  HTTP_PORT: integer(0, 65_535, 'a port number from 0 to 65535').default(8765),
  /**
   * The server's public base URL, as clients reach it (behind a reverse proxy, its https URL). Unset:
   * http://HTTP_HOST:HTTP_PORT. OAuth names the server by it: the resource is `<HTTP_PUBLIC_URL>/mcp`.
   */
  HTTP_PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: PUBLIC_URL_ERROR })
    .refine((url) => URL.canParse(url) && !/[?#]/.test(url) && new URL(url).pathname === '/', { error: PUBLIC_URL_ERROR })
    .transform((url) => url.replace(/\/+$/, ''))
    .optional(),
  /** Fetch client metadata documents from private and loopback addresses, and over plain http (tests, private deployments). */
  OAUTH_CLIENT_METADATA_ALLOW_PRIVATE: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .transform((value) => value === 'true')
    .default(false),
  /**
   * An external authorization server (Keycloak, Auth0, WorkOS…) whose access tokens the server
   * accepts instead of running its own sign-in; its issuer identifier, exactly as its tokens' `iss`.
   */
  OAUTH_ISSUER: z
    .url({ protocol: /^https?$/, error: ISSUER_ERROR })
    .refine((url) => URL.canParse(url) && !/[?#]/.test(url) && isHttpsOrLoopback(new URL(url)), {
      error: ISSUER_ERROR,
    })
    .optional(),
  /** An audience the issuer's tokens may carry instead of this server's resource, `<HTTP_PUBLIC_URL>/mcp`. */
  OAUTH_AUDIENCE: z.string().min(1).optional(),
  /** The claim of the issuer's tokens that names the user (their external id here). */
  OAUTH_USER_CLAIM: z.string().min(1).default('sub'),
  /** A user the issuer's token names and the server has never seen is created (true) or refused (false). */
  OAUTH_CREATE_USERS: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .transform((value) => value === 'true')
    .default(true),
  /** Check the issuer's tokens by RFC 7662 introspection at this URL instead of as JWTs. */
  OAUTH_INTROSPECTION_URL: httpUrl().optional(),
  OAUTH_INTROSPECTION_CLIENT_ID: z.string().min(1).optional(),
  OAUTH_INTROSPECTION_CLIENT_SECRET: z.string().min(1).optional(),
  HTTP_ALLOWED_HOSTS: hostList('a comma-separated list of host names').optional(),
  HTTP_ALLOWED_ORIGINS: originList('a comma-separated list of origins such as https://app.example.com').optional(),
  HTTP_MAX_BODY_BYTES: integer(1_024, 100_000_000, 'a whole number of bytes from 1024 to 100000000').default(1_048_576),
  HTTP_RATE_LIMIT_PER_MINUTE: integer(1, 1_000_000, 'a whole number of requests of at least 1').default(600),
  /** The reverse proxies in front of the server, whose `X-Forwarded-For` names the client (see `trustedProxies`). */
  HTTP_TRUST_PROXY: trustedProxies().default(false),
  HTTP_SESSIONS: z.enum(['stateful', 'stateless'], { error: 'must be stateful or stateless' }).default('stateful'),
  HTTP_WORKERS: z.union([z.literal('auto'), integer(1, 256, 'auto or a whole number of processes from 1 to 256')]).default(1),
};

type RawConfig = z.infer<z.ZodObject<typeof configShape>>;

/** The settings that choose a remote provider when LLM_PROVIDER is unset, and what it needs when it is set. */
const PROVIDER_SETTINGS: Record<Exclude<LlmProviderName, 'offline'>, { variables: (keyof RawConfig)[]; missing: string }> = {
  gemini: { variables: ['GEMINI_API_KEY'], missing: 'GEMINI_API_KEY for gemini, and it is not set' },
  openai: {
    variables: ['OPENAI_API_KEY', 'OPENAI_BASE_URL'],
    missing:
      'OPENAI_API_KEY (for OpenAI) or OPENAI_BASE_URL (for a server of your own, such as Ollama at http://localhost:11434/v1) for openai, and neither is set',
  },
  anthropic: { variables: ['ANTHROPIC_API_KEY'], missing: 'ANTHROPIC_API_KEY for anthropic, and it is not set' },
};

/** The remote providers some of whose settings are set, with those settings' names. */
function configuredProviders(config: RawConfig): { provider: LlmProviderName; set: string[] }[] {
  return Object.entries(PROVIDER_SETTINGS)
    .map(([provider, { variables }]) => ({ provider: provider as LlmProviderName, set: variables.filter((name) => config[name] !== undefined) }))
    .filter(({ set }) => set.length > 0);
}

export const configSchema = z.object(configShape).superRefine((config, context) => {
  const configured = configuredProviders(config);
  if (config.LLM_PROVIDER === undefined && configured.length > 1) {
    const named = configured.map(({ provider, set }) => `${set.join(', ')} (${provider})`);
    context.addIssue({
      code: 'custom',
      path: ['LLM_PROVIDER'],
      message: `must say which provider to use when settings of several are set: ${named.slice(0, -1).join(', ')} and ${named.at(-1)!}`,
    });
  }
  if (config.LLM_PROVIDER !== undefined && config.LLM_PROVIDER !== 'offline' && !configured.some(({ provider }) => provider === config.LLM_PROVIDER)) {
    context.addIssue({ code: 'custom', path: ['LLM_PROVIDER'], message: `needs ${PROVIDER_SETTINGS[config.LLM_PROVIDER].missing}` });
  }
  const introspection = ['OAUTH_INTROSPECTION_URL', 'OAUTH_INTROSPECTION_CLIENT_ID', 'OAUTH_INTROSPECTION_CLIENT_SECRET'] as const;
  const introspectionSet = introspection.filter((name) => config[name] !== undefined);
  if (introspectionSet.length > 0 && introspectionSet.length < introspection.length) {
    const missing = introspection.filter((name) => config[name] === undefined);
    context.addIssue({ code: 'custom', path: [missing[0]!], message: `must be set with ${introspectionSet.join(' and ')} (token introspection needs all three)` });
  }
  for (const name of ['OAUTH_AUDIENCE', ...introspection] as const) {
    if (config[name] !== undefined && config.OAUTH_ISSUER === undefined) {
      context.addIssue({ code: 'custom', path: [name], message: 'is used only with OAUTH_ISSUER, which is not set' });
    }
  }
  // A horizon as long as the TTL would make every narrative due at every pass.
  if (config.REFRESH_HORIZON_HOURS !== undefined && config.REFRESH_HORIZON_HOURS >= config.NARRATIVE_TTL_DAYS * 24) {
    context.addIssue({
      code: 'custom',
      path: ['REFRESH_HORIZON_HOURS'],
      message: `must be less than NARRATIVE_TTL_DAYS in hours (${config.NARRATIVE_TTL_DAYS * 24})`,
    });
  }
}).transform((config) => ({
  ...config,
  /** The provider in use: the one asked for, else the one configured, else offline. */
  LLM_PROVIDER: config.LLM_PROVIDER ?? configuredProviders(config)[0]?.provider ?? 'offline',
}));

export type Config = z.output<typeof configSchema>;

/**
 * Reads the configuration from environment variables. Empty values count as unset, so
 * `FOO=` in a compose file falls back to the default instead of failing.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const present = Object.fromEntries(
    Object.keys(configShape)
      .map((name) => [name, env[name]?.trim()] as const)
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = configSchema.safeParse(present);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const name = String(issue.path[0] ?? 'configuration');
  const value = present[name];
  const shown = value === undefined || name.includes('KEY') || name.includes('SECRET') || name === 'DATABASE_URL' ? '' : ` (got ${JSON.stringify(value)})`;
  throw new ConfigError(`${name} ${issue.message}${shown}`);
}
