import type { Command } from 'commander';
import { SECOND_MS } from '../../clock/durations.js';
import { migrationStatus } from '../../db/migrate.js';
import { UserFacingError } from '../../errors/user-facing-error.js';
import { backfill } from '../../operations/backfill.js';
import { createBackfillReporter } from '../backfill-reporter.js';
import { watchInterruption } from '../interruption.js';
import { parseExternalId } from '../resolve-user.js';
import type { CliProcess } from '../cli-process.js';
import { runWithApp } from '../run-with-app.js';
import { positiveInteger } from './import-command.js';

/** After the first Ctrl-C/SIGTERM, users in flight get this long to finish before they are abandoned. */
const FINISH_IN_FLIGHT_MS = 30 * SECOND_MS;
const MAX_CONCURRENCY = 64;

interface BackfillCommandOptions {
  minMemories?: number;
  concurrency?: number;
  batchSize: number;
  limit?: number;
  user: string[];
  after?: string;
  force?: boolean;
  dryRun?: boolean;
}

export function registerBackfillCommand(program: Command, cli: CliProcess): void {
  program
    .command('backfill')
    .description(
      'Pre-compute narratives for existing users with enough memories, in concurrent batches through the same job runner ' +
        'and LLM limits as the server. Fresh narratives are skipped (unless --force), so an interrupted run continues where ' +
        'it stopped when run again. Exit code 0 when every user succeeded, 1 when any failed, 130/143 when interrupted.',
    )
    .option('--min-memories <n>', 'only users with at least this many memories (default: $NARRATIVE_MIN_MEMORIES, 5)', positiveInteger)
    .option('--concurrency <n>', `users generated at once, at most ${MAX_CONCURRENCY} (default: $LLM_CONCURRENCY, 2)`, positiveInteger)
    .option('--batch-size <n>', 'users read from the database per page', positiveInteger, 100)
    .option('--limit <n>', 'stop after sending this many users for generation (users skipped as fresh do not count)', positiveInteger)
    .option('--user <id>', 'only this user; repeat the option for more', (value: string, previous: string[]) => [...previous, value], [])
    .option('--after <id>', 'start after this user (by external id), as an interrupted run suggests')
    .option('--force', 'rewrite fresh narratives too (each write raises the version by one)')
    .option('--dry-run', 'list what would be done; write nothing and call no LLM')
    .action(async (options: BackfillCommandOptions) => {
      if (options.concurrency !== undefined && options.concurrency > MAX_CONCURRENCY) {
        throw new UserFacingError(`--concurrency must be at most ${MAX_CONCURRENCY}; got ${options.concurrency}`);
      }
      const users = options.user.map(parseExternalId);
      if (options.after !== undefined && users.length > 0) throw new UserFacingError('choose one of --after and --user');
      const terminal = cli.stderr.isTTY === true;
      // Set after the app has closed: closing PGlite resets process.exitCode.
      cli.exitCode = await runWithApp(
        cli,
        async (app) => {
          if (options.dryRun) {
            const pending = (await migrationStatus(app.database.db)).filter((migration) => !migration.appliedAt).length;
            if (pending > 0) {
              throw new UserFacingError(`the database has ${pending} pending migration(s); run \`narrative-mcp migrate\` first (a dry run writes nothing)`);
            }
          }
          // On a terminal the bar is the progress; per-user log lines would tear it (unless LOG_LEVEL asks for them).
          if (terminal && !cli.env.LOG_LEVEL) app.logger.level = 'error';
          const reporter = createBackfillReporter({ terminal, logger: app.logger, cli });
          const abandon = () => void app.engine.runner.close(Promise.resolve());
          let abandonTimer: NodeJS.Timeout | undefined;
          const interruption = watchInterruption({
            first: (name) => {
              reporter.notice(
                `${name}: taking no more users; those in flight get ${FINISH_IN_FLIGHT_MS / SECOND_MS} s to finish (send it again to abandon them now).`,
              );
              abandonTimer = setTimeout(abandon, FINISH_IN_FLIGHT_MS).unref();
            },
            again: (name) => {
              reporter.notice(`${name}: abandoning the users in flight; nothing of theirs is written.`);
              abandon();
            },
          });
          try {
            const summary = await backfill(app, {
              concurrency: options.concurrency ?? app.config.LLM_CONCURRENCY,
              batchSize: options.batchSize,
              force: options.force ?? false,
              dryRun: options.dryRun ?? false,
              signal: interruption.signal,
              onEvent: (event) => reporter.event(event),
              ...(options.minMemories === undefined ? {} : { minMemories: options.minMemories }),
              ...(options.limit === undefined ? {} : { limit: options.limit }),
              ...(users.length === 0 ? {} : { users }),
              ...(options.after === undefined ? {} : { after: options.after }),
            });
            reporter.finish(summary, interruption.received);
            return interruption.exitCode ?? (summary.failed > 0 ? 1 : 0);
          } finally {
            clearTimeout(abandonTimer);
            interruption.dispose();
          }
        },
        {
          migrate: !options.dryRun,
          // This process exists for the backfill: its job runner runs as many users at once as asked.
          configure: (config) => ({ ...config, LLM_CONCURRENCY: options.concurrency ?? config.LLM_CONCURRENCY }),
        },
      );
    });
}
