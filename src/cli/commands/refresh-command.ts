import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { SECOND_MS } from '../../clock/durations.js';
import { refreshSettingsFrom } from '../../operations/refresh-settings.js';
import { runRefreshPass } from '../../operations/refresh-pass.js';
import { watchInterruption } from '../interruption.js';
import type { CliProcess } from '../cli-process.js';
import { runWithApp } from '../run-with-app.js';
import { positiveInteger } from './import-command.js';

function positiveNumber(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number <= 0) throw new InvalidArgumentError('expected a positive number');
  return number;
}

interface RefreshCommandOptions {
  horizonHours?: number;
  activeDays?: number;
  limit?: number;
}

export function registerRefreshCommand(program: Command, cli: CliProcess): void {
  program
    .command('refresh')
    .description(
      'One pass of proactive refresh, for cron: sweeps expired memories (marks the narratives that used them, removes them ' +
        'past $EXPIRED_MEMORY_RETENTION_DAYS), then rewrites the narratives of recently active users that are stale or expire ' +
        'within the horizon (each at its own moment within it, so narratives written together do not expire together), ' +
        'at most --limit users. Run it more often than the horizon, e.g. hourly. Exit code 1 when any user failed.',
    )
    .option('--horizon-hours <n>', 'refresh narratives expiring within this many hours (default: $REFRESH_HORIZON_HOURS, 24)', positiveNumber)
    .option('--active-days <n>', 'only users with a memory dated within this many days (default: $REFRESH_ACTIVE_DAYS, 30)', positiveNumber)
    .option('--limit <n>', 'at most this many users, the longest overdue first (default: $REFRESH_MAX_USERS, 500)', positiveInteger)
    .action(async (options: RefreshCommandOptions) => {
      // Set after the app has closed: closing PGlite resets process.exitCode.
      cli.exitCode = await runWithApp(cli, async (app) => {
        const settings = refreshSettingsFrom(app.config);
        const interruption = watchInterruption({ first: () => {}, again: () => {} });
        try {
          const summary = await runRefreshPass(app, {
            horizonHours: options.horizonHours ?? settings.horizonHours,
            activeDays: options.activeDays ?? settings.activeDays,
            limit: options.limit ?? settings.maxUsers,
            signal: interruption.signal,
            onUser: (event) => (event.result === 'failed' ? app.logger.warn(event, 'refresh user failed') : app.logger.info(event, 'refresh user')),
          });
          app.logger.info({ ...summary, failures: summary.failures.slice(0, 100) }, 'refresh pass finished');
          const seconds = (summary.durationMs / SECOND_MS).toFixed(1);
          const stopped = summary.interrupted ? `; interrupted by ${interruption.received}, ${summary.abandoned} abandoned` : '';
          cli.print(
            `Refresh pass ${summary.interrupted ? 'stopped' : 'finished'} in ${seconds} s: ${summary.due} due, ${summary.refreshed} refreshed, ` +
              `${summary.skipped} skipped, ${summary.failed} failed${stopped}.`,
          );
          const { memoriesPurged, narrativesOutdated } = summary.expiry;
          if (memoriesPurged + narrativesOutdated > 0) {
            cli.print(`Expired memories: ${memoriesPurged} removed, ${narrativesOutdated} narratives marked outdated by one.`);
          }
          for (const failure of summary.failures) cli.print(`  ${failure.user}  ${failure.kind}  ${failure.message}`);
          return interruption.exitCode ?? (summary.failed > 0 ? 1 : 0);
        } finally {
          interruption.dispose();
        }
      });
    });
}
