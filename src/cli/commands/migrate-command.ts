import type { Command } from 'commander';
import { migrateToLatest, migrationStatus } from '../../db/migrate.js';
import type { CliProcess } from '../cli-process.js';
import { runWithApp } from '../run-with-app.js';
import { formatTable } from '../format-table.js';

export function registerMigrateCommand(program: Command, cli: CliProcess): void {
  program
    .command('migrate')
    .description('Apply pending database migrations (the server also applies them at start).')
    .option('--status', 'only show which migrations are applied and which are pending')
    .action(async (options: { status?: boolean }) => {
      await runWithApp(
        cli,
        async (app) => {
          if (!options.status) {
            const applied = await migrateToLatest(app.database.db);
            for (const result of applied) cli.print(`applied ${result.migrationName}`);
          }
          const states = await migrationStatus(app.database.db);
          const pending = states.filter((state) => !state.appliedAt).length;
          cli.print(
            formatTable(
              ['MIGRATION', 'APPLIED'],
              states.map((state) => [state.name, state.appliedAt?.toISOString() ?? 'pending']),
            ),
          );
          cli.print(
            `${app.database.kind} database at ${app.database.location}: ${pending === 0 ? 'up to date' : `${pending} pending`}`,
          );
        },
        { migrate: false },
      );
    });
}
