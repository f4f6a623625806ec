import { access } from 'node:fs/promises';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { importMemories } from '../../engine/import-memories.js';
import { UserFacingError } from '../../errors/user-facing-error.js';
import type { CliProcess } from '../cli-process.js';
import { runWithApp } from '../run-with-app.js';

export function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return number;
}

export function registerImportCommand(program: Command, cli: CliProcess): void {
  program
    .command('import')
    .description(
      'Import memories from a JSON Lines file, one {"user", "content", "created_at"?, "metadata"?, "source"?, "expires_at"?, "ttl_days"?} ' +
        'per line. Users are created as needed; text a user already has is skipped, so re-running a file changes nothing; ' +
        'a memory whose expires_at has passed is skipped and counted. A line of kind "narrative" (as export writes) ' +
        'restores the user\'s narrative with its version and date when the user has none.',
    )
    .argument('<file>', 'the .jsonl file to read, or - for standard input')
    .option('--batch-size <n>', 'lines written per transaction', positiveInteger, 500)
    .action(async (file: string, options: { batchSize: number }) => {
      const fromStdin = file === '-';
      if (!fromStdin) {
        try {
          await access(file);
        } catch {
          throw new UserFacingError(`cannot read ${file}: no such file or no permission`);
        }
      }
      const label = fromStdin ? 'stdin' : file;
      const summary = await runWithApp(cli, (app) =>
        importMemories(app.repositories, fromStdin ? cli.stdin : file, {
          maxChars: app.config.MAX_MEMORY_CHARS,
          batchSize: options.batchSize,
          clock: app.clock,
          onBatch: (progress) => app.logger.debug({ lines: progress.lines, added: progress.added }, 'import batch written'),
        }),
      );
      for (const problem of summary.problems) cli.printError(`${label}:${problem.line}: ${problem.message} (line skipped)`);
      cli.print(
        `Read ${summary.lines} lines: ${summary.added} memories added, ${summary.duplicates} already present, ` +
          `${summary.usersSeen} users (${summary.usersCreated} new), ${summary.problems.length} bad lines skipped` +
          (summary.expired > 0 ? `, ${summary.expired} already expired skipped.` : '.'),
      );
      if (summary.narrativesRestored + summary.narrativesSkipped > 0) {
        cli.print(
          `Narratives: ${summary.narrativesRestored} restored, ${summary.narrativesSkipped} skipped ` +
            '(the user had one, or a memory it was built from is not among theirs).',
        );
      }
      if (summary.problems.length > 0) cli.exitCode = 1;
    });
}
