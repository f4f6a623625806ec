import { Command, CommanderError } from 'commander';
import { PACKAGE_VERSION } from '../app/package-version.js';
import { ConfigError } from '../config/config-error.js';
import { UserFacingError } from '../errors/user-facing-error.js';
import { nodeProcess, type CliProcess } from './cli-process.js';
import { registerBackfillCommand } from './commands/backfill-command.js';
import { registerExportCommand } from './commands/export-command.js';
import { registerImportCommand } from './commands/import-command.js';
import { registerKeysCommand } from './commands/keys-command.js';
import { registerMemoriesCommand } from './commands/memories-command.js';
import { registerMigrateCommand } from './commands/migrate-command.js';
import { registerRefreshCommand } from './commands/refresh-command.js';
import { registerServeCommand } from './commands/serve-command.js';
import { registerUsersCommand } from './commands/users-command.js';

export function buildProgram(cli: CliProcess): Command {
  const program = new Command('narrative-mcp')
    .description('An MCP server that gives AI chat clients an instant, cached narrative of their user.')
    .version(PACKAGE_VERSION)
    .showHelpAfterError()
    // Before the commands are added, which inherit both: a usage error or help in a command
    // ends in main below, never in process.exit.
    .exitOverride()
    .configureOutput({ writeOut: (text) => cli.stdout.write(text), writeErr: (text) => cli.stderr.write(text) })
    .addHelpText('after', '\nConfiguration comes from environment variables; see the README for the full table.');
  registerServeCommand(program, cli);
  registerMigrateCommand(program, cli);
  registerImportCommand(program, cli);
  registerExportCommand(program, cli);
  registerBackfillCommand(program, cli);
  registerRefreshCommand(program, cli);
  registerUsersCommand(program, cli);
  registerKeysCommand(program, cli);
  registerMemoriesCommand(program, cli);
  return program;
}

/** Runs the CLI; every failure ends as one readable line on stderr and a non-zero exit code. */
export async function main(argv: readonly string[], cli: CliProcess = nodeProcess): Promise<void> {
  try {
    await buildProgram(cli).parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      cli.exitCode = error.exitCode;
      return;
    }
    cli.exitCode = error instanceof ConfigError ? 2 : 1;
    const prefix = error instanceof ConfigError ? 'configuration error: ' : '';
    const message = error instanceof ConfigError || error instanceof UserFacingError ? error.message : describe(error);
    cli.printError(`narrative-mcp: ${prefix}${message}`);
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: string }).code;
  if (code === 'ECONNREFUSED') return `cannot reach the database (${error.message}); is PostgreSQL running and DATABASE_URL right?`;
  return error.message;
}
