import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { migrateToLatest } from '../db/migrate.js';
import { openDatabase, type DatabaseHandle } from '../db/open-database.js';
import { MemoryService } from '../engine/memory-service.js';
import { ApiKeyRepository } from '../repositories/api-key-repository.js';
import { MemoryRepository } from '../repositories/memory-repository.js';
import { NarrativeRepository } from '../repositories/narrative-repository.js';
import { UserRepository } from '../repositories/user-repository.js';

/** Everything a surface needs, built once from the configuration. */
export interface App {
  readonly config: Config;
  readonly logger: Logger;
  readonly database: DatabaseHandle;
  readonly users: UserRepository;
  readonly memories: MemoryRepository;
  readonly narratives: NarrativeRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly memoryService: MemoryService;
  close(): Promise<void>;
}

export interface OpenAppOptions {
  /** Apply pending migrations before anything else (the server does; `migrate --status` does not). */
  migrate?: boolean;
  /** An already open database, e.g. one a test created. */
  database?: DatabaseHandle;
}

export async function openApp(config: Config, logger: Logger, options: OpenAppOptions = {}): Promise<App> {
  const database =
    options.database ??
    (await openDatabase({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.NARRATIVE_DATA_DIR,
      poolSize: config.DATABASE_POOL_SIZE,
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
  const memories = new MemoryRepository(database.db);
  return {
    config,
    logger,
    database,
    users: new UserRepository(database.db),
    memories,
    narratives: new NarrativeRepository(database.db),
    apiKeys: new ApiKeyRepository(database.db),
    memoryService: new MemoryService(memories, config),
    close: () => database.close(),
  };
}
