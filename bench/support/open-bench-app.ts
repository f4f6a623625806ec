import pino from 'pino';
import { openApp, type App } from '../../src/app/app.js';
import { loadConfig } from '../../src/config/config.js';

/** The app in this process, configured from the given variables alone, with silent logs. */
export function openBenchApp(vars: Readonly<Record<string, string>>): Promise<App> {
  return openApp(loadConfig({ ...vars, LOG_LEVEL: 'silent' }), pino({ level: 'silent' }));
}
