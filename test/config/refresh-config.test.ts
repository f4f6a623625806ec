import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { refreshSettingsFrom } from '../../src/operations/refresh-settings.js';

describe('the proactive refresh configuration', () => {
  it('runs no scheduler by default, and refreshes the day before expiry for users active in the last 30 days', () => {
    expect(refreshSettingsFrom(loadConfig({}))).toEqual({ intervalMs: undefined, horizonHours: 24, activeDays: 30, maxUsers: 500 });
  });

  it('reads the interval, horizon, active days and users per pass that are set', () => {
    const env = { REFRESH_INTERVAL_MINUTES: '15', REFRESH_HORIZON_HOURS: '36', REFRESH_ACTIVE_DAYS: '7.5', REFRESH_MAX_USERS: '50' };
    expect(refreshSettingsFrom(loadConfig(env))).toEqual({ intervalMs: 15 * 60_000, horizonHours: 36, activeDays: 7.5, maxUsers: 50 });
  });

  it('keeps the default horizon within half of a short TTL', () => {
    expect(refreshSettingsFrom(loadConfig({ NARRATIVE_TTL_DAYS: '0.5' })).horizonHours).toBe(6);
  });

  it.each([
    [{ REFRESH_INTERVAL_MINUTES: '0' }, 'REFRESH_INTERVAL_MINUTES must be a whole number of minutes from 1 to 10080 (got "0")'],
    [{ REFRESH_INTERVAL_MINUTES: '2.5' }, 'REFRESH_INTERVAL_MINUTES must be a whole number of minutes from 1 to 10080 (got "2.5")'],
    [{ REFRESH_HORIZON_HOURS: 'soon' }, 'REFRESH_HORIZON_HOURS must be a positive number of hours (got "soon")'],
    [{ REFRESH_HORIZON_HOURS: '168' }, 'REFRESH_HORIZON_HOURS must be less than NARRATIVE_TTL_DAYS in hours (168) (got "168")'],
    [{ REFRESH_HORIZON_HOURS: '12', NARRATIVE_TTL_DAYS: '0.25' }, 'REFRESH_HORIZON_HOURS must be less than NARRATIVE_TTL_DAYS in hours (6) (got "12")'],
    [{ REFRESH_ACTIVE_DAYS: '-1' }, 'REFRESH_ACTIVE_DAYS must be a positive number of days (got "-1")'],
    [{ REFRESH_MAX_USERS: '0' }, 'REFRESH_MAX_USERS must be a whole number of at least 1 (got "0")'],
  ])('rejects %o with one line naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
