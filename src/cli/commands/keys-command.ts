import type { Command } from 'commander';
import { UserFacingError } from '../../errors/user-facing-error.js';
import { formatTable } from '../format-table.js';
import { requireUser } from '../resolve-user.js';
import type { CliProcess } from '../cli-process.js';
import { runWithApp } from '../run-with-app.js';

export function registerKeysCommand(program: Command, cli: CliProcess): void {
  const keys = program.command('keys').description('Manage the bearer keys that identify users over HTTP.');

  keys
    .command('create')
    .description('Create a key for a user. The key is printed once, on the last line of output; only its hash is stored.')
    .requiredOption('--user <user>', 'the external id of the key owner')
    .option('--name <name>', 'a label, e.g. the client the key is for')
    .action(async (options: { user: string; name?: string }) => {
      await runWithApp(cli, async (app) => {
        const user = await requireUser(app.repositories.users, options.user);
        const { key, row } = await app.repositories.apiKeys.create(user.id, options.name);
        cli.print(`Created key ${row.key_prefix}… (id ${row.id}) for user ${user.external_id}.`);
        cli.print('It is shown only now; store it somewhere safe:');
        cli.print(key);
      });
    });

  keys
    .command('list')
    .description('List keys (never the secrets themselves).')
    .option('--user <user>', 'only the keys of this user')
    .option('--json', 'one JSON object per line instead of a table')
    .action(async (options: { user?: string; json?: boolean }) => {
      await runWithApp(cli, async (app) => {
        const owner = options.user === undefined ? undefined : await requireUser(app.repositories.users, options.user);
        const listed = await app.repositories.apiKeys.list(owner?.id);
        const rows = listed.map((key) => ({
          id: key.id,
          prefix: key.key_prefix,
          user: key.external_id,
          name: key.name,
          created_at: key.created_at.toISOString(),
          last_used_at: key.last_used_at?.toISOString() ?? null,
          status: key.revoked_at ? 'revoked' : 'active',
        }));
        if (options.json) {
          for (const row of rows) cli.print(JSON.stringify(row));
          return;
        }
        cli.print(
          rows.length === 0
            ? 'No keys yet.'
            : formatTable(
                ['ID', 'PREFIX', 'USER', 'NAME', 'CREATED', 'LAST USED', 'STATUS'],
                rows.map((row) => [row.id, row.prefix, row.user, row.name ?? '', row.created_at, row.last_used_at ?? 'never', row.status]),
              ),
        );
      });
    });

  keys
    .command('revoke')
    .description('Revoke a key at once, by its id or its shown prefix.')
    .argument('<key>', 'the key id or prefix from `keys list`')
    .action(async (idOrPrefix: string) => {
      await runWithApp(cli, async (app) => {
        const revoked = await app.repositories.apiKeys.revoke(idOrPrefix.replace(/…$/, ''));
        if (revoked === 0) throw new UserFacingError(`no active key with id or prefix "${idOrPrefix}"`);
        cli.print(`Revoked ${revoked} key${revoked === 1 ? '' : 's'}.`);
      });
    });
}
