import type { Logger } from 'pino';
import type { Clock } from '../clock/clock.js';
import { SECOND_MS } from '../clock/durations.js';
import { systemClock } from '../clock/system-clock.js';
import type { Config } from '../config/config.js';
import type { MigrationResult } from 'kysely';
import { isSessionLost } from '../db/is-session-lost.js';
import { migrateToLatest } from '../db/migrate.js';
import { openDatabase, type DatabaseHandle } from '../db/open-database.js';
import { NarrativeEngine } from '../engine/narrative-engine.js';
import { createLlmProvider } from '../llm/create-llm-provider.js';
import type { LlmProvider } from '../llm/llm-provider.js';
import { KeyOwnerCache } from '../repositories/key-owner-cache.js';
import type { AccessTokenOwner } from '../repositories/oauth-grant-repository.js';
import { RepositorySet } from '../repositories/repository-set.js';

/** How long running narrative jobs get to finish when the app closes. */
const SHUTDOWN_GRACE_MS = 10 * SECOND_MS;
/** Key owners, and access token owners, a serving process holds (a few hundred bytes each). */
const HELD_KEY_OWNERS = 10_000;

/** Everything a surface needs, built once from the configuration. */
export interface App {
  readonly config: Config;
  readonly logger: Logger;
  readonly database: DatabaseHandle;
  readonly repositories: RepositorySet;
  readonly engine: NarrativeEngine;
  /** Where the engine's time comes from (operations judge freshness on the same clock). */
  readonly clock: Clock;
  /** Stops background work (running jobs get a grace period), then closes the database. */
  close(options?: { graceMs?: number }): Promise<void>;
}

export interface OpenAppOptions {
  /** Apply pending migrations before anything else (the server does; `migrate --status` does not). */
  migrate?: boolean;
  /** An already open database, e.g. one a test created. */
  database?: DatabaseHandle;
  provider?: LlmProvider;
  clock?: Clock;
  /**
   * Hold users (the hot tier) and key owners, kept coherent by listening for changes (default
   * true). A one-shot command that serves no requests skips it: it then holds nothing, reads
   * everything from the database and opens no listening connection.
   */
  holdUsers?: boolean;
}

export async function openApp(config: Config, logger: Logger, options: OpenAppOptions = {}): Promise<App> {
  const database =
    options.database ??
    (await openDatabase({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.NARRATIVE_DATA_DIR,
      poolSize: config.DATABASE_POOL_SIZE,
      statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
      acquireTimeoutMs: config.DATABASE_ACQUIRE_TIMEOUT_MS,
      preparedStatements: config.DATABASE_PREPARED_STATEMENTS,
      logger,
    }));
  try {
    if (options.migrate ?? true) {
      const applied = await migrateAcrossLostSessions(database);
      for (const result of applied) logger.info({ migration: result.migrationName }, 'migration applied');
    }
  } catch (error) {
    await database.close();
    throw error;
  }
  const clock = options.clock ?? systemClock;
  const repositories = new RepositorySet(database.db, clock, { withoutDiskWait: database.kind === 'postgres' });
  const engine = new NarrativeEngine({
    config,
    repositories,
    provider: options.provider ?? (await createLlmProvider(config)),
    clock,
    logger,
  });
  let stopListening: () => Promise<void> = async () => undefined;
  if (options.holdUsers ?? true) {
    const keyOwners = new KeyOwnerCache({ maxEntries: HELD_KEY_OWNERS, maxAgeMs: config.HOT_TIER_MAX_AGE_SECONDS * SECOND_MS, clock });
    repositories.apiKeys.holdOwnersIn(keyOwners);
    const tokenOwners = new KeyOwnerCache<AccessTokenOwner>({ maxEntries: HELD_KEY_OWNERS, maxAgeMs: config.HOT_TIER_MAX_AGE_SECONDS * SECOND_MS, clock });
    repositories.oauthGrants.holdOwnersIn(tokenOwners);
    stopListening = await keepHeldCoherent(database, [engine.tier, keyOwners, tokenOwners], logger);
  }
  return {
    config,
    logger,
    database,
    repositories,
    engine,
    clock,
    close: async ({ graceMs = SHUTDOWN_GRACE_MS } = {}) => {
      await engine.runner.close(new Promise((resolve) => setTimeout(resolve, graceMs).unref()));
      await stopListening();
      await database.close();
    },
  };
}

/**
 * Migrations run in one transaction each, so one cut short by its session ending (the owner of a
 * shared embedded directory going as this process starts) is rolled back and safe to run again.
 */
async function migrateAcrossLostSessions(database: DatabaseHandle, attempts = 3): Promise<MigrationResult[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await migrateToLatest(database.db);
    } catch (error) {
      if (attempt >= attempts || !isSessionLost(rootCause(error))) throw error;
    }
  }
}

function rootCause(error: unknown): unknown {
  let cause = error;
  while (cause instanceof Error && cause.cause !== undefined && !isSessionLost(cause)) cause = cause.cause;
  return cause;
}

/** What a process holds per user in memory, mirroring the database. */
export interface HeldPerUser {
  invalidate(userId: string): void;
  clear(): void;
  setLive(live: boolean): void;
}

/**
 * Feeds the database's change announcements to what the process holds (the hot tier, the key
 * owners). Until the feed listens, and from the moment its connection drops until it listens
 * again (announcements may have been missed), they hold nothing; where LISTEN is unavailable
 * (e.g. behind a transaction-mode pooler) they only pass reads through.
 */
export async function keepHeldCoherent(database: DatabaseHandle, held: readonly HeldPerUser[], logger: Logger): Promise<() => Promise<void>> {
  try {
    return await database.listenForUserChanges({
      changed: (userId) => {
        for (const holder of held) holder.invalidate(userId);
      },
      listening: () => {
        for (const holder of held) {
          holder.clear();
          holder.setLive(true);
        }
      },
      stopped: () => {
        for (const holder of held) holder.setLive(false);
      },
    });
  } catch (error) {
    logger.warn({ err: error }, 'cannot listen for changes; every read goes to the database');
    return async () => undefined;
  }
}
