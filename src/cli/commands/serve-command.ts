import type { Command } from 'commander';
import { serveStdio } from '../../mcp/serve-stdio.js';
import { parseExternalId } from '../resolve-user.js';
import { runWithApp } from '../run-with-app.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Run the MCP server. Over stdio it serves one local user, created on first use.')
    .option('--stdio', 'serve over stdin/stdout (the default), for Claude Desktop, Claude Code, Cursor and the MCP Inspector')
    .option('--user <user>', 'the user this stdio server acts for (default: $NARRATIVE_USER, else "local")')
    .action(async (options: { stdio?: boolean; user?: string }) => {
      // Anything printed to stdout would corrupt the JSON-RPC stream; send stray console output to stderr.
      console.log = console.error;
      console.info = console.error;
      await runWithApp((app) => serveStdio(app, parseExternalId(options.user ?? app.config.NARRATIVE_USER)));
    });
}
