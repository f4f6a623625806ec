import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/config/config-error.js';

function configErrorFor(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be rejected`);
}

describe('loadConfig', () => {
  it('gives the documented defaults when nothing is set', () => {
    expect(loadConfig({})).toEqual({
      DATABASE_POOL_SIZE: 10,
      DATABASE_STATEMENT_TIMEOUT_MS: 30_000,
      DATABASE_ACQUIRE_TIMEOUT_MS: 10_000,
      DATABASE_PREPARED_STATEMENTS: 256,
      NARRATIVE_DATA_DIR: './.narrative-data',
      GEMINI_NARRATIVE_MODEL: 'gemini-2.5-pro',
      GEMINI_ANALYSIS_MODEL: 'gemini-2.5-flash',
      NARRATIVE_TTL_DAYS: 7,
      NARRATIVE_MAX_STALE_DAYS: 30,
      NARRATIVE_MIN_MEMORIES: 5,
      NARRATIVE_INVALIDATE_AFTER_NEW_MEMORIES: 20,
      NARRATIVE_LEASE_SECONDS: 60,
      NARRATIVE_FULL_REBUILD_DAYS: 30,
      DEEP_ANALYSIS_BUDGET_MS: 10_000,
      LLM_CONCURRENCY: 2,
      LLM_CALLS_PER_MINUTE: 60,
      LLM_TIMEOUT_MS: 120_000,
      LLM_MAX_RETRIES: 3,
      REGENERATE_PER_HOUR: 6,
      CONTEXT_MEMORIES: 10,
      HOT_TIER_MB: 64,
      HOT_TIER_MAX_AGE_SECONDS: 60,
      HOT_TIER_MAX_USER_MEMORIES: 5_000,
      NARRATIVE_USER: 'local',
      MAX_MEMORY_CHARS: 10_000,
      LOG_LEVEL: 'info',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: 8765,
      HTTP_MAX_BODY_BYTES: 1_048_576,
      HTTP_RATE_LIMIT_PER_MINUTE: 600,
      HTTP_TRUST_PROXY: false,
      HTTP_SESSIONS: 'stateful',
      HTTP_WORKERS: 1,
      OAUTH_CLIENT_METADATA_ALLOW_PRIVATE: false,
      OAUTH_USER_CLAIM: 'sub',
      OAUTH_CREATE_USERS: true,
      REFRESH_ACTIVE_DAYS: 30,
      REFRESH_MAX_USERS: 500,
      EXPIRED_MEMORY_RETENTION_DAYS: 0,
      LLM_PROVIDER: 'offline',
    });
    const config = loadConfig({});
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.GEMINI_API_KEY).toBeUndefined();
    expect(config.GEMINI_BASE_URL).toBeUndefined();
  });

  it('reads and converts the values that are set', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgresql://app@db:5432/narrative',
      HTTP_PORT: ' 9000 ',
      NARRATIVE_TTL_DAYS: '0.5',
      LOG_LEVEL: 'debug',
      GEMINI_API_KEY: 'secret',
    });
    expect(config).toMatchObject({
      DATABASE_URL: 'postgresql://app@db:5432/narrative',
      HTTP_PORT: 9000,
      NARRATIVE_TTL_DAYS: 0.5,
      LOG_LEVEL: 'debug',
      GEMINI_API_KEY: 'secret',
    });
  });

  it('reads the database timeouts, a statement timeout of 0 included', () => {
    expect(loadConfig({ DATABASE_STATEMENT_TIMEOUT_MS: '0', DATABASE_ACQUIRE_TIMEOUT_MS: '2500' })).toMatchObject({
      DATABASE_STATEMENT_TIMEOUT_MS: 0,
      DATABASE_ACQUIRE_TIMEOUT_MS: 2_500,
    });
  });

  it('reads how many statements a connection keeps prepared, 0 for none, and refuses a negative number', () => {
    expect(loadConfig({ DATABASE_PREPARED_STATEMENTS: '0' }).DATABASE_PREPARED_STATEMENTS).toBe(0);
    expect(loadConfig({ DATABASE_PREPARED_STATEMENTS: '1000' }).DATABASE_PREPARED_STATEMENTS).toBe(1_000);
    expect(() => loadConfig({ DATABASE_PREPARED_STATEMENTS: '-1' })).toThrow(/DATABASE_PREPARED_STATEMENTS/);
  });

  it('treats empty and blank values as unset', () => {
    const config = loadConfig({ DATABASE_URL: '', HTTP_PORT: '', LOG_LEVEL: '   ', GEMINI_API_KEY: '' });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.GEMINI_API_KEY).toBeUndefined();
    expect(config).toMatchObject({ HTTP_PORT: 8765, LOG_LEVEL: 'info' });
  });

  it('ignores variables it does not know', () => {
    expect(loadConfig({ PATH: '/usr/bin', HOME: '/root' })).toEqual(loadConfig({}));
  });

  it.each([
    ['NARRATIVE_TTL_DAYS', 'abc', 'NARRATIVE_TTL_DAYS must be a positive number of days'],
    ['NARRATIVE_TTL_DAYS', '0', 'NARRATIVE_TTL_DAYS must be a positive number of days'],
    ['NARRATIVE_FULL_REBUILD_DAYS', '-1', 'NARRATIVE_FULL_REBUILD_DAYS must be a positive number of days'],
    ['HTTP_PORT', '70000', 'HTTP_PORT must be a port number from 0 to 65535'],
    ['HTTP_PORT', '80.5', 'HTTP_PORT must be a port number from 0 to 65535'],
    ['DATABASE_POOL_SIZE', '0', 'DATABASE_POOL_SIZE must be a whole number from 1 to 1000'],
    ['DATABASE_STATEMENT_TIMEOUT_MS', '-1', "DATABASE_STATEMENT_TIMEOUT_MS must be a whole number of milliseconds from 0 (the server's own) to 86400000"],
    ['DATABASE_STATEMENT_TIMEOUT_MS', '2.5', "DATABASE_STATEMENT_TIMEOUT_MS must be a whole number of milliseconds from 0 (the server's own) to 86400000"],
    ['DATABASE_ACQUIRE_TIMEOUT_MS', '50', 'DATABASE_ACQUIRE_TIMEOUT_MS must be a whole number of milliseconds from 100 to 600000'],
    ['LLM_MAX_RETRIES', '-1', 'LLM_MAX_RETRIES must be a whole number from 0 to 10'],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent'],
    ['LOG_LEVEL', 'loud\nINJECTED', 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent'],
    ['DATABASE_URL', 'mysql://x', 'DATABASE_URL must be a postgres:// or postgresql:// URL'],
    ['GEMINI_BASE_URL', 'not a url', 'GEMINI_BASE_URL must be an http(s) URL'],
    ['OPENAI_BASE_URL', 'localhost:11434', 'OPENAI_BASE_URL must be an http(s) URL'],
    ['ANTHROPIC_BASE_URL', 'ftp://example.com', 'ANTHROPIC_BASE_URL must be an http(s) URL'],
    ['LLM_PROVIDER', 'claude', 'LLM_PROVIDER must be one of offline, gemini, openai, anthropic'],
    ['LLM_PROMPT_BUDGET_CHARS', '500', 'LLM_PROMPT_BUDGET_CHARS must be a whole number of characters from 1000 to 10000000'],
    ['EXPIRED_MEMORY_RETENTION_DAYS', '-1', 'EXPIRED_MEMORY_RETENTION_DAYS must be a number of days from 0 to 36500'],
  ])('rejects %s=%j with a one-line message naming the variable and what it expects', (name, value, expected) => {
    const error = configErrorFor({ [name]: value });
    expect(error.message.slice(0, expected.length)).toBe(expected);
    expect(error.message).not.toContain('\n');
  });

  it.each(['ftp://example.com/v1', 'mailto:gemini@example.com'])(
    'rejects a GEMINI_BASE_URL of %s, which is not http(s)',
    (value) => {
      expect(configErrorFor({ GEMINI_BASE_URL: value }).message).toMatch(/^GEMINI_BASE_URL must be an http\(s\) URL/);
    },
  );

  it('shows the wrong value for ordinary settings so the reader can spot the typo', () => {
    expect(configErrorFor({ HTTP_PORT: '70000' }).message).toContain('"70000"');
  });

  it('never repeats the value of DATABASE_URL in its message', () => {
    const message = configErrorFor({ DATABASE_URL: 'mysql://admin:hunter2@db.example.com/narrative' }).message;
    expect(message).toMatch(/^DATABASE_URL /);
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('db.example.com');
  });

  it('never repeats the value of GEMINI_API_KEY in its message', () => {
    const message = configErrorFor({ GEMINI_API_KEY: 'AIzaSy-very-secret', HTTP_PORT: 'abc' }).message;
    expect(message).not.toContain('very-secret');
  });

  it('accepts a PostgreSQL pool smaller than the LLM concurrency: no running generation holds a connection', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://localhost/x', LLM_CONCURRENCY: '64', DATABASE_POOL_SIZE: '5' });
    expect(config).toMatchObject({ LLM_CONCURRENCY: 64, DATABASE_POOL_SIZE: 5 });
  });

  it('refuses a lease too short to be renewed in time', () => {
    expect(configErrorFor({ NARRATIVE_LEASE_SECONDS: '2' }).message).toBe('NARRATIVE_LEASE_SECONDS must be a whole number of seconds from 3 to 3600 (got "2")');
    expect(loadConfig({ NARRATIVE_LEASE_SECONDS: '3' }).NARRATIVE_LEASE_SECONDS).toBe(3);
  });

  it('never repeats the value of OPENAI_API_KEY or ANTHROPIC_API_KEY in its message', () => {
    for (const name of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY']) {
      const message = configErrorFor({ [name]: 'sk-very-secret', HTTP_PORT: 'abc' }).message;
      expect(message).not.toContain('very-secret');
    }
  });
});

describe('loadConfig choosing the LLM provider', () => {
  it.each([
    [{}, 'offline'],
    [{ GEMINI_API_KEY: 'g' }, 'gemini'],
    [{ GEMINI_BASE_URL: 'http://127.0.0.1:9/' }, 'offline'],
    [{ OPENAI_API_KEY: 'sk' }, 'openai'],
    [{ OPENAI_BASE_URL: 'http://localhost:11434/v1' }, 'openai'],
    [{ OPENAI_API_KEY: 'sk', OPENAI_BASE_URL: 'https://openrouter.ai/api/v1' }, 'openai'],
    [{ ANTHROPIC_API_KEY: 'sk-ant' }, 'anthropic'],
  ])('picks the provider whose settings are set when LLM_PROVIDER is not: %j → %s', (env, provider) => {
    expect(loadConfig(env).LLM_PROVIDER).toBe(provider);
  });

  it('follows LLM_PROVIDER when it is set, whatever else is', () => {
    const keys = { GEMINI_API_KEY: 'g', OPENAI_API_KEY: 'sk', ANTHROPIC_API_KEY: 'sk-ant' };
    expect(loadConfig({ ...keys, LLM_PROVIDER: 'anthropic' }).LLM_PROVIDER).toBe('anthropic');
    expect(loadConfig({ ...keys, LLM_PROVIDER: 'offline' }).LLM_PROVIDER).toBe('offline');
    expect(loadConfig({ LLM_PROVIDER: 'openai', OPENAI_BASE_URL: 'http://localhost:11434/v1' })).toMatchObject({
      LLM_PROVIDER: 'openai',
      OPENAI_BASE_URL: 'http://localhost:11434/v1',
    });
  });

  it('refuses settings of two providers without LLM_PROVIDER, naming both and no key', () => {
    const message = configErrorFor({ GEMINI_API_KEY: 'AIza-secret', OPENAI_BASE_URL: 'http://localhost:11434/v1' }).message;

    expect(message).toBe(
      'LLM_PROVIDER must say which provider to use when settings of several are set: GEMINI_API_KEY (gemini) and OPENAI_BASE_URL (openai)',
    );
    expect(configErrorFor({ GEMINI_API_KEY: 'g', OPENAI_API_KEY: 'sk', ANTHROPIC_API_KEY: 'sk-ant-secret' }).message).toMatch(
      /: GEMINI_API_KEY \(gemini\), OPENAI_API_KEY \(openai\) and ANTHROPIC_API_KEY \(anthropic\)$/,
    );
    expect(configErrorFor({ OPENAI_API_KEY: 'sk-secret', ANTHROPIC_API_KEY: 'sk-ant-secret' }).message).not.toContain('secret');
  });

  it('says what is missing when LLM_PROVIDER names a provider with nothing to reach it by', () => {
    expect(configErrorFor({ LLM_PROVIDER: 'openai' }).message).toBe(
      'LLM_PROVIDER needs OPENAI_API_KEY (for OpenAI) or OPENAI_BASE_URL (for a server of your own, such as Ollama at http://localhost:11434/v1) for openai, and neither is set (got "openai")',
    );
    expect(configErrorFor({ LLM_PROVIDER: 'anthropic', OPENAI_API_KEY: 'sk' }).message).toMatch(
      /^LLM_PROVIDER needs ANTHROPIC_API_KEY for anthropic, and it is not set/,
    );
    expect(configErrorFor({ LLM_PROVIDER: 'gemini', GEMINI_BASE_URL: 'http://127.0.0.1:9/' }).message).toMatch(
      /^LLM_PROVIDER needs GEMINI_API_KEY for gemini, and it is not set/,
    );
  });

  it('reads the models per task and the prompt budget', () => {
    expect(
      loadConfig({ OPENAI_BASE_URL: 'http://localhost:11434/v1', LLM_NARRATIVE_MODEL: 'qwen2.5:7b', LLM_ANALYSIS_MODEL: 'llama3.2:3b', LLM_PROMPT_BUDGET_CHARS: '12000' }),
    ).toMatchObject({ LLM_NARRATIVE_MODEL: 'qwen2.5:7b', LLM_ANALYSIS_MODEL: 'llama3.2:3b', LLM_PROMPT_BUDGET_CHARS: 12_000 });
  });

  it('reads the HTTP workers as a number or auto, and the session mode', () => {
    expect(loadConfig({ HTTP_WORKERS: 'auto', HTTP_SESSIONS: 'stateless' })).toMatchObject({ HTTP_WORKERS: 'auto', HTTP_SESSIONS: 'stateless' });
    expect(loadConfig({ HTTP_WORKERS: '3' }).HTTP_WORKERS).toBe(3);
    expect(configErrorFor({ HTTP_WORKERS: '0' }).message).toContain('HTTP_WORKERS');
    expect(configErrorFor({ HTTP_SESSIONS: 'sticky' }).message).toContain('HTTP_SESSIONS must be stateful or stateless');
  });

  it('reads the trusted proxies as none, a number of them, or their addresses, and refuses trusting every address', () => {
    expect(loadConfig({ HTTP_TRUST_PROXY: 'false' }).HTTP_TRUST_PROXY).toBe(false);
    expect(loadConfig({ HTTP_TRUST_PROXY: '1' }).HTTP_TRUST_PROXY).toBe(1);
    expect(loadConfig({ HTTP_TRUST_PROXY: ' Loopback, 10.0.0.0/8,fd00::/8, 192.0.2.7 ' }).HTTP_TRUST_PROXY).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8', '192.0.2.7']);
    expect(configErrorFor({ HTTP_TRUST_PROXY: 'true' }).message).toMatch(/HTTP_TRUST_PROXY.*true is refused/);
    for (const bad of ['0', '17', '10.0.0.0/33', 'fd00::/129', 'proxy.example.com', '10.0.0.1/8/2', ',']) {
      expect(configErrorFor({ HTTP_TRUST_PROXY: bad }).message, bad).toContain('HTTP_TRUST_PROXY');
    }
  });

  it('reads the public URL as an origin without its trailing slash, and refuses one with a path', () => {
    expect(loadConfig({}).HTTP_PUBLIC_URL).toBeUndefined();
    expect(loadConfig({ HTTP_PUBLIC_URL: 'https://narrative.example.com/' }).HTTP_PUBLIC_URL).toBe('https://narrative.example.com');
    expect(loadConfig({ HTTP_PUBLIC_URL: 'http://127.0.0.1:8765' }).HTTP_PUBLIC_URL).toBe('http://127.0.0.1:8765');
    for (const wrong of ['https://narrative.example.com/mcp', 'ftp://narrative.example.com', 'https://narrative.example.com/?a=1', 'narrative.example.com']) {
      expect(configErrorFor({ HTTP_PUBLIC_URL: wrong }).message).toContain('HTTP_PUBLIC_URL must be the http(s) origin');
    }
  });

  it('reads an external issuer exactly as its tokens name it, and refuses one on plain http away from the machine', () => {
    expect(loadConfig({ OAUTH_ISSUER: 'https://tenant.eu.auth0.com/' }).OAUTH_ISSUER).toBe('https://tenant.eu.auth0.com/');
    expect(loadConfig({ OAUTH_ISSUER: 'http://127.0.0.1:8080/realms/narrative' }).OAUTH_ISSUER).toBe('http://127.0.0.1:8080/realms/narrative');
    for (const wrong of ['http://keycloak.internal/realms/x', 'https://idp.example.com/?a=1', 'idp.example.com']) {
      expect(configErrorFor({ OAUTH_ISSUER: wrong }).message).toContain('OAUTH_ISSUER must be the issuer identifier');
    }
    expect(loadConfig({ OAUTH_ISSUER: 'https://idp.example.com', OAUTH_CREATE_USERS: 'false' }).OAUTH_CREATE_USERS).toBe(false);
  });

  it('needs the introspection URL and both client credentials together, with an issuer', () => {
    const issuer = { OAUTH_ISSUER: 'https://idp.example.com' };
    const all = { ...issuer, OAUTH_INTROSPECTION_URL: 'https://idp.example.com/introspect', OAUTH_INTROSPECTION_CLIENT_ID: 'narrative', OAUTH_INTROSPECTION_CLIENT_SECRET: 'hunter2' };
    expect(loadConfig(all).OAUTH_INTROSPECTION_CLIENT_SECRET).toBe('hunter2');
    expect(configErrorFor({ ...all, OAUTH_INTROSPECTION_CLIENT_SECRET: '' }).message).toContain('OAUTH_INTROSPECTION_CLIENT_SECRET must be set with');
    expect(configErrorFor({ OAUTH_AUDIENCE: 'narrative-api' }).message).toContain('OAUTH_AUDIENCE is used only with OAUTH_ISSUER');
    const { OAUTH_ISSUER: _, ...withoutIssuer } = all;
    expect(configErrorFor(withoutIssuer).message).toContain('used only with OAUTH_ISSUER');
  });
});
