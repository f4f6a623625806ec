import type { Logger } from 'pino';
import type { Clock } from '../clock/clock.js';
import { systemClock } from '../clock/system-clock.js';
import type { Config } from '../config/config.js';
import { migrateToLatest } from '../db/migrate.js';
import { openDatabase, type DatabaseHandle } from '../db/open-database.js';
import { NarrativeEngine } from '../engine/narrative-engine.js';
import { createLlmProvider } from '../llm/create-llm-provider.js';
import type { LlmProvider } from '../llm/llm-provider.js';
import { RepositorySet } from '../repositories/repository-set.js';

/** How long running narrative jobs get to finish when the app closes. */
const SHUTDOWN_GRACE_MS = 10_000;

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
   * Keep the hot tier coherent by listening for changes (default true). A one-shot command that
   * serves no requests skips it: its tier then holds nothing and it opens no listening connection.
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
      logger,
    }));
  try {
    if (options.migrate ?? true) {
      const applied = await migrateToLatest(database.db);
      for (const result of applied) logger.info({ migration: result.migrationName }, 'migration applied');
    }
  } catch (error) {
    await database.close();
    throw error;
  }
  const repositories = new RepositorySet(database.db);
  const clock = options.clock ?? systemClock;
  const engine = new NarrativeEngine({
    config,
    repositories,
    withUserLock: database.withUserLock,
    provider: options.provider ?? createLlmProvider(config),
    clock,
    logger,
  });
  const stopListening = (options.holdUsers ?? true) ? await keepTierCoherent(database, engine, logger) : async () => undefined;
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
 * Feeds the database's change announcements to the engine's hot tier. Until the feed listens
 * (and after each reconnection, when announcements may have been missed) the tier holds nothing;
 * where LISTEN is unavailable (e.g. behind a transaction-mode pooler) it only passes reads through.
 */
async function keepTierCoherent(database: DatabaseHandle, engine: NarrativeEngine, logger: Logger): Promise<() => Promise<void>> {
  try {
    return await database.listenForUserChanges({
      changed: (userId) => engine.tier.invalidate(userId),
      listening: () => {
        engine.tier.clear();
        engine.tier.setLive(true);
      },
    });
  } catch (error) {
    logger.warn({ err: error }, 'cannot listen for changes; every read goes to the database');
    return async () => undefined;
  }
}
