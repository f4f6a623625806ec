import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Command } from 'commander';
import { emptyExportSummary } from '../../engine/export-memories.js';
import { parseExternalId } from '../resolve-user.js';
import type { CliProcess } from '../cli-process.js';
import { runWithApp } from '../run-with-app.js';

interface ExportCommandOptions {
  user: string[];
  out?: string;
}

export function registerExportCommand(program: Command, cli: CliProcess): void {
  program
    .command('export')
    .description(
      'Export memories as JSON Lines in the import format (user, content, created_at, metadata, source, expires_at), each ' +
        "user's memories oldest first followed by their narrative as a line of kind \"narrative\", which import restores. " +
        'Deleted and expired memories are not exported. Streamed from the database a page at a time.',
    )
    .option('--user <id>', 'only this user; repeat the option for more (default: every user)', (value: string, previous: string[]) => [...previous, value], [])
    .option('--out <file>', 'write to this file (written beside it, then renamed when complete) instead of standard output')
    .action(async (options: ExportCommandOptions) => {
      const users = options.user.map(parseExternalId);
      const summary = emptyExportSummary();
      await runWithApp(cli, async (app) => {
        const lines = app.engine.memories.exportLines(users.length > 0 ? { users } : {}, summary);
        if (options.out === undefined) {
          await writeLines(lines, cli.stdout);
          return;
        }
        const partial = `${options.out}.partial`;
        const file = createWriteStream(partial);
        try {
          await writeLines(lines, file);
          file.end();
          await finished(file);
          await rename(partial, options.out);
        } catch (error) {
          file.destroy();
          await rm(partial, { force: true });
          throw error;
        }
      });
      const leftOut = summary.narrativesLeftOut > 0 ? ` (${summary.narrativesLeftOut} left out: built from memories forgotten since)` : '';
      cli.printError(
        `Exported ${summary.memories} memories and ${summary.narratives} narratives${leftOut} of ${summary.users} users` +
          `${options.out === undefined ? '' : ` to ${options.out}`}.`,
      );
    });
}

/** Writes each line, waiting whenever the destination asks to: what is held is one page at most. */
async function writeLines(lines: AsyncIterable<string>, out: Writable): Promise<void> {
  for await (const line of lines) {
    if (!out.write(line)) await once(out, 'drain');
  }
}
