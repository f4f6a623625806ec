import type { Command } from 'commander';
import { UserFacingError } from '../../errors/user-facing-error.js';
import { formatTable } from '../format-table.js';
import { parseExternalId } from '../resolve-user.js';
import type { CliProcess } from '../cli-process.js';
import { runWithApp } from '../run-with-app.js';

const PAGE_SIZE = 500;

export function registerUsersCommand(program: Command, cli: CliProcess): void {
  const users = program.command('users').description('Manage users.');

  users
    .command('list')
    .description("List users with their number of memories.")
    .option('--json', 'one JSON object per line instead of a table')
    .action(async (options: { json?: boolean }) => {
      await runWithApp(cli, async (app) => {
        const rows: string[][] = [];
        let after: string | undefined;
        for (;;) {
          const page = await app.repositories.users.listWithMemoryCounts({ limit: PAGE_SIZE, ...(after === undefined ? {} : { after }) });
          for (const user of page) {
            if (options.json) {
              cli.print(JSON.stringify({ user: user.external_id, id: user.id, memories: user.memory_count, created_at: user.created_at }));
            } else {
              rows.push([user.external_id, String(user.memory_count), user.created_at.toISOString()]);
            }
          }
          if (page.length < PAGE_SIZE) break;
          after = page.at(-1)!.external_id;
        }
        if (!options.json) cli.print(rows.length === 0 ? 'No users yet.' : formatTable(['USER', 'MEMORIES', 'CREATED'], rows));
      });
    });

  users
    .command('add')
    .description('Create a user.')
    .argument('<user>', 'the external id clients and the CLI will use')
    .option('--name <name>', 'a display name')
    .action(async (externalId: string, options: { name?: string }) => {
      const id = parseExternalId(externalId);
      await runWithApp(cli, async (app) => {
        const user = await app.repositories.users.create(id, options.name);
        if (!user) throw new UserFacingError(`user "${id}" already exists`);
        cli.print(`Created user ${user.external_id} (${user.id}).`);
      });
    });
}
