import pino, { type Logger } from 'pino';
import { openApp, type App, type OpenAppOptions } from '../../src/app/app.js';
import { loadConfig } from '../../src/config/config.js';
import type { DatabaseKind } from '../../src/db/open-database.js';
import { openTestDatabase } from './test-databases.js';

/** An app on a fresh test database, with silent logs and configuration from the given variables. */
export async function openTestApp(
  kind: DatabaseKind,
  env: Record<string, string> = {},
  options: Pick<OpenAppOptions, 'provider' | 'clock' | 'holdUsers'> & { logger?: Logger } = {},
): Promise<App> {
  const database = await openTestDatabase(kind);
  const { logger = pino({ level: 'silent' }), ...rest } = options;
  return openApp(loadConfig(env), logger, { database, migrate: false, ...rest });
}
