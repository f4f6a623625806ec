import { DAY_MS, HOUR_MS, MINUTE_MS } from '../clock/durations.js';
import type { Config } from '../config/config.js';

const DEFAULT_HORIZON_HOURS = 24;

/** The proactive refresh as configured: what one pass does, and how often `serve` runs one (if at all). */
export interface RefreshSettings {
  horizonHours: number;
  activeDays: number;
  maxUsers: number;
  /** Undefined: `serve` runs no scheduler. */
  intervalMs: number | undefined;
}

export function refreshSettingsFrom(config: Config): RefreshSettings {
  return {
    // Unset, the horizon is a day, or half the TTL for narratives that live less than two days.
    horizonHours: config.REFRESH_HORIZON_HOURS ?? Math.min(DEFAULT_HORIZON_HOURS, (config.NARRATIVE_TTL_DAYS * DAY_MS) / HOUR_MS / 2),
    activeDays: config.REFRESH_ACTIVE_DAYS,
    maxUsers: config.REFRESH_MAX_USERS,
    intervalMs: config.REFRESH_INTERVAL_MINUTES === undefined ? undefined : config.REFRESH_INTERVAL_MINUTES * MINUTE_MS,
  };
}
