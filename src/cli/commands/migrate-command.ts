import type { Command } from 'commander';
import { migrateToLatest, migrationStatus } from '../../db/migrate.js';
import { runWithApp } from '../run-with-app.js';
import { formatTable } from '../format-table.js';

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('Apply pending database migrations (the server also applies them at start).')
    .option('--status', 'only show which migrations are applied and which are pending')
    .action(async (options: { status?: boolean }) => {
      await runWithApp(
        async (app) => {
          if (!options.status) {
            const applied = await migrateToLatest(app.database.db);
            for (const result of applied) console.log(`applied ${result.migrationName}`);
          }
          const states = await migrationStatus(app.database.db);
          const pending = states.filter((state) => !state.appliedAt).length;
          console.log(
            formatTable(
              ['MIGRATION', 'APPLIED'],
              states.map((state) => [state.name, state.appliedAt?.toISOString() ?? 'pending']),
            ),
          );
          console.log(
            `${app.database.kind} database at ${app.database.location}: ${pending === 0 ? 'up to date' : `${pending} pending`}`,
          );
        },
        { migrate: false },
      );
    });
}
