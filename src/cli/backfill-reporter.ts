import cliProgress from 'cli-progress';
import type { Logger } from 'pino';
import { SECOND_MS } from '../clock/durations.js';
import type { BackfillEvent, BackfillSummary } from '../operations/backfill.js';
import type { CliProcess } from './cli-process.js';

export interface BackfillReporter {
  event(event: BackfillEvent): void;
  /** Prints the summary on stdout (and logs it), after the run. */
  finish(summary: BackfillSummary, interruptedBy?: string): void;
  /** Says on stderr, outside the bar, what happens after an interruption. */
  notice(message: string): void;
}

/**
 * How a backfill shows itself: on a terminal a live progress bar with rate and ETA (on stderr,
 * so `> report.txt` still shows it), otherwise one JSON log line per user; dry-run plans and the
 * final summary go to stdout.
 */
export function createBackfillReporter(options: { terminal: boolean; logger: Logger; cli: CliProcess }): BackfillReporter {
  const { logger, cli } = options;
  let bar: cliProgress.SingleBar | undefined;
  let startedAt = performance.now();
  const counts = { generated: 0, skipped: 0, failed: 0 };
  let dryRun = false;
  let forced = false;

  let done = 0;
  let total = 0;
  let ticker: NodeJS.Timeout | undefined;
  /** Rate and time left from the whole run so far, recomputed every second even while no user finishes. */
  const pace = () => {
    const seconds = (performance.now() - startedAt) / SECOND_MS;
    const perSecond = seconds > 0 ? done / seconds : 0;
    return { rate: perSecond.toFixed(1), remaining: perSecond > 0 ? formatDuration((total - done) / perSecond) : '?' };
  };
  const stopBar = () => {
    clearInterval(ticker);
    bar?.stop();
    bar = undefined;
  };

  return {
    event(event) {
      switch (event.type) {
        case 'started':
          startedAt = performance.now();
          dryRun = event.dryRun;
          forced = event.force;
          if (event.dryRun) {
            cli.print(`Dry run: ${event.eligible} eligible users; nothing will be written.`);
          } else if (options.terminal) {
            bar = new cliProgress.SingleBar(
              {
                format:
                  'backfill [{bar}] {percentage}% | {value}/{total} users | {rate} users/s | ETA {remaining} | ' +
                  'generated {generated}, skipped {skipped}, failed {failed}',
                hideCursor: true,
                stream: cli.stderr,
                etaBuffer: 50,
              },
              cliProgress.Presets.shades_classic,
            );
            total = event.total;
            bar.start(event.total, 0, { ...pace(), ...counts });
            ticker = setInterval(() => bar?.update(pace()), 1_000).unref();
          } else {
            logger.info({ eligible: event.eligible, total: event.total, concurrency: event.concurrency, force: event.force }, 'backfill started');
          }
          return;
        case 'user': {
          if (dryRun) {
            const action = event.result === 'planned' ? 'would generate' : 'would skip    ';
            cli.print(`${action}  ${event.user}  (${event.memories} memories; ${event.reason})`);
            return;
          }
          if (event.result === 'generated') counts.generated += 1;
          if (event.result === 'skipped') counts.skipped += 1;
          if (event.result === 'failed') counts.failed += 1;
          done = event.done;
          if (bar) {
            bar.update(event.done, { ...pace(), ...counts });
            return;
          }
          const fields = {
            user: event.user,
            result: event.result,
            reason: event.reason,
            memories: event.memories,
            ...(event.version === undefined ? {} : { version: event.version }),
            ...(event.message === undefined ? {} : { message: event.message }),
            done: event.done,
            total: event.total,
          };
          if (event.result === 'failed') logger.warn(fields, 'backfill user failed');
          else logger.info(fields, 'backfill user');
          return;
        }
        case 'interrupted':
          logger.warn({ inFlight: event.inFlight, lastStarted: event.lastStarted }, 'backfill interrupted');
          return;
      }
    },

    notice(message) {
      stopBar();
      cli.printError(message);
    },

    finish(summary, interruptedBy) {
      stopBar();
      logger.info({ ...summary, failures: summary.failures.slice(0, 100) }, summary.dryRun ? 'backfill dry run finished' : 'backfill finished');
      for (const line of summaryLines(summary, forced, interruptedBy)) cli.print(line);
    },
  };
}

function summaryLines(summary: BackfillSummary, forced: boolean, interruptedBy?: string): string[] {
  const seconds = `${(summary.durationMs / SECOND_MS).toFixed(1)} s`;
  const reasons = Object.entries(summary.skippedReasons).map(([reason, count]) => `${count} ${reason}`);
  const skipped = `${summary.skipped} skipped${reasons.length > 0 ? ` (${reasons.join(', ')})` : ''}`;
  if (summary.dryRun) {
    return [`Dry run: ${summary.eligible} eligible; would generate ${summary.planned}, ${skipped}. Nothing was written.`];
  }
  const lines: string[] = [];
  const counts = `${summary.eligible} eligible, ${summary.generated} generated, ${skipped}, ${summary.failed} failed`;
  if (summary.interrupted) {
    lines.push(`Backfill interrupted${interruptedBy ? ` by ${interruptedBy}` : ''} after ${seconds}: ${counts}; ${summary.notReached} not reached.`);
    lines.push(summary.stoppedAfter === null ? 'Stopped before any user was started.' : `Stopped after ${summary.stoppedAfter}.`);
    const resume = summary.resumeAfter === null ? '' : ` --after ${summary.resumeAfter}`;
    lines.push(
      forced
        ? `This run was forced, so a plain re-run would rewrite every user again: add${resume || ' --after with the last user done'} to continue where it stopped.`
        : `Run the same command again to continue: finished users are fresh and are skipped${resume ? ` (or add${resume} to start where it stopped)` : ''}.`,
    );
    if (summary.abandoned.length > 0) lines.push(`Abandoned in flight (nothing written): ${summary.abandoned.join(', ')}`);
  } else {
    lines.push(`Backfill finished in ${seconds}: ${counts}${summary.notReached > 0 ? `; ${summary.notReached} not reached (limit)` : ''}.`);
  }
  if (summary.generated > 0) {
    const { input, output } = summary.tokens;
    lines.push(
      input + output > 0
        ? `LLM tokens: ${input.toLocaleString('en-US')} input, ${output.toLocaleString('en-US')} output.`
        : 'LLM tokens: none reported (the offline provider uses none).',
    );
  }
  if (summary.failed > 0) {
    lines.push('Failed users:');
    for (const failure of summary.failures) lines.push(`  ${failure.user}  ${failure.kind}  ${failure.message}`);
    if (summary.failed > summary.failures.length) lines.push(`  … and ${summary.failed - summary.failures.length} more`);
  }
  return lines;
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  if (seconds < 3_600) return `${Math.floor(seconds / 60)}m${String(Math.ceil(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3_600)}h${String(Math.floor((seconds % 3_600) / 60)).padStart(2, '0')}m`;
}
