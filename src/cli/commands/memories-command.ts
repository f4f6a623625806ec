import type { Command } from 'commander';
import { UserFacingError } from '../../errors/user-facing-error.js';
import { toMemoryOutput } from '../../mcp/tools/memory-output.js';
import { formatTable } from '../format-table.js';
import { requireUser } from '../resolve-user.js';
import type { CliProcess } from '../cli-process.js';
import { runWithApp } from '../run-with-app.js';

const PAGE_SIZE = 100;

export function registerMemoriesCommand(program: Command, cli: CliProcess): void {
  const memories = program.command('memories').description("List and correct a user's memories.");

  memories
    .command('list')
    .description("List a user's memories, newest first.")
    .requiredOption('--user <user>', 'the external id of the user')
    .option('--json', 'one JSON object per line instead of a table')
    .action(async (options: { user: string; json?: boolean }) => {
      await runWithApp(cli, async (app) => {
        const user = await requireUser(app.repositories.users, options.user);
        const rows: string[][] = [];
        let cursor: string | undefined;
        do {
          const page = await app.engine.memories.list(user.id, PAGE_SIZE, cursor);
          for (const memory of page.memories.map(toMemoryOutput)) {
            if (options.json) cli.print(JSON.stringify(memory));
            else rows.push([memory.id, memory.created_at, memory.updated_at ?? '', memory.expires_at ?? '', memory.content.replace(/\s+/g, ' ')]);
          }
          cursor = page.nextCursor ?? undefined;
        } while (cursor !== undefined);
        if (!options.json) {
          cli.print(rows.length === 0 ? `User ${user.external_id} has no memories.` : formatTable(['ID', 'CREATED', 'UPDATED', 'EXPIRES', 'CONTENT'], rows));
        }
      });
    });

  memories
    .command('update')
    .description('Correct a memory: it keeps its id and date, and its old text is gone.')
    .requiredOption('--user <user>', 'the external id of the memory owner')
    .argument('<memory>', 'the memory id, from `memories list`')
    .option('--content <text>', 'the corrected text')
    .option('--metadata <json>', 'a JSON object that replaces the metadata')
    .option('--expires-at <date-time>', 'forget the memory at this moment (ISO 8601, in the future)')
    .option('--ttl-days <days>', 'forget the memory this many days from now')
    .option('--never-expires', 'keep the memory until it is deleted, removing its expiry')
    .action(async (memoryId: string, options: UpdateOptions) => {
      const expiry = expiryOf(options);
      if (options.content === undefined && options.metadata === undefined && expiry === undefined) {
        throw new UserFacingError('give --content, --metadata, an expiry (--expires-at, --ttl-days or --never-expires), or several');
      }
      const metadata = options.metadata === undefined ? undefined : parseJson(options.metadata);
      await runWithApp(cli, async (app) => {
        const user = await requireUser(app.repositories.users, options.user);
        // A one-shot command calls no LLM: the stale narrative is rewritten by whoever serves the user next.
        const result = await app.engine.memories.update(user.id, [{ id: memoryId, content: options.content, metadata, ...expiry }], {
          rewriteNarrative: false,
        });
        if (!result.ok) throw new UserFacingError(`cannot update memory ${memoryId}: ${result.errors[0]!.message}`);
        cli.print(`Updated memory ${memoryId} of user ${user.external_id}.`);
        const expiresAt = result.updated[0]!.expires_at;
        if (expiry !== undefined) cli.print(expiresAt ? `It is forgotten on ${expiresAt.toISOString()}.` : 'It is kept until it is deleted.');
        if (result.narrativeInvalidated) {
          cli.print(
            `The narrative used its old text: it is stale until it is rewritten at the user's next conversation, ` +
              `or now with \`narrative-mcp backfill --user ${user.external_id}\`.`,
          );
        }
      });
    });
}

interface UpdateOptions {
  user: string;
  content?: string;
  metadata?: string;
  expiresAt?: string;
  ttlDays?: string;
  neverExpires?: boolean;
}

/** The expiry the options ask for, as `update_memories` takes it; undefined when they ask for none. */
function expiryOf(options: UpdateOptions): { expires_at?: string | null; ttl_days?: number } | undefined {
  const given = [options.expiresAt !== undefined, options.ttlDays !== undefined, options.neverExpires === true].filter(Boolean).length;
  if (given > 1) throw new UserFacingError('give one of --expires-at, --ttl-days and --never-expires');
  if (options.neverExpires) return { expires_at: null };
  if (options.expiresAt !== undefined) return { expires_at: options.expiresAt };
  if (options.ttlDays !== undefined) return { ttl_days: Number(options.ttlDays) };
  return undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UserFacingError(`--metadata is not JSON: ${(error as Error).message}`);
  }
}
