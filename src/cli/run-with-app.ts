import type { App } from '../app/app.js';
import { openApp } from '../app/app.js';
import { trimHeapWhenIdle } from '../app/idle-heap-trim.js';
import { loadConfig, type Config } from '../config/config.js';
import { createLogger } from '../logging/create-logger.js';
import type { CliProcess } from './cli-process.js';

/**
 * Opens the app from the process's environment for one command and always closes it afterwards;
 * `serves` marks a command that answers requests, whose hot tier is kept coherent and whose heap
 * is trimmed while it waits for them.
 */
export async function runWithApp<T>(
  cli: CliProcess,
  work: (app: App) => Promise<T>,
  options: { migrate?: boolean; serves?: boolean; configure?: (config: Config) => Config } = {},
): Promise<T> {
  const loaded = loadConfig(cli.env);
  const config = options.configure ? options.configure(loaded) : loaded;
  const logger = createLogger(config.LOG_LEVEL, cli.logDestination());
  const app = await openApp(config, logger, { migrate: options.migrate ?? true, holdUsers: options.serves ?? false });
  const stopTrimming = options.serves ? trimHeapWhenIdle() : () => undefined;
  try {
    return await work(app);
  } finally {
    stopTrimming();
    await app.close();
    logger.flush();
  }
}
