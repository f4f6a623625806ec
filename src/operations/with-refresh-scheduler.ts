import type { App } from '../app/app.js';
import { refreshSettingsFrom } from './refresh-settings.js';
import { startRefreshScheduler } from './refresh-scheduler.js';

/**
 * Runs `work` (a server, until it shuts down) with the proactive refresh scheduler beside it
 * when `REFRESH_INTERVAL_MINUTES` is set, and stops the scheduler before returning, so the app
 * can then close its job runner and database.
 */
export async function withRefreshScheduler<T>(app: App, work: () => Promise<T>): Promise<T> {
  const settings = refreshSettingsFrom(app.config);
  if (settings.intervalMs === undefined) return work();
  const scheduler = startRefreshScheduler(app, {
    intervalMs: settings.intervalMs,
    horizonHours: settings.horizonHours,
    activeDays: settings.activeDays,
    limit: settings.maxUsers,
  });
  try {
    return await work();
  } finally {
    await scheduler.stop();
  }
}
