import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { importLineSchema, type ImportLine } from '../memories/import-line.js';
import type { RepositorySet } from '../repositories/repository-set.js';
import { describeZodError } from '../validation/describe-zod-error.js';
import { addMemories } from './memory-service.js';

export interface ImportProblem {
  line: number;
  message: string;
}

export interface ImportSummary {
  lines: number;
  added: number;
  duplicates: number;
  usersCreated: number;
  usersSeen: number;
  problems: ImportProblem[];
}

export interface ImportOptions {
  maxChars: number;
  batchSize: number;
  onBatch?: (summary: Readonly<ImportSummary>) => void;
}

const DEFAULT_SOURCE = 'import';

/**
 * Imports JSON Lines of memories, from a file's path or a stream (standard input). Each batch is written in one transaction; a bad line
 * is reported with its number and skipped whole; text a user already has is not added again,
 * so importing the same file twice changes nothing.
 */
export async function importMemories(repositories: RepositorySet, source: string | Readable, options: ImportOptions): Promise<ImportSummary> {
  const schema = importLineSchema(options.maxChars);
  const summary: ImportSummary = { lines: 0, added: 0, duplicates: 0, usersCreated: 0, usersSeen: 0, problems: [] };
  const userIds = new Map<string, string>();
  let batch: ImportLine[] = [];

  const flush = async () => {
    if (batch.length === 0) return;
    const lines = batch;
    batch = [];
    await writeBatch(repositories, lines, userIds, summary);
    options.onBatch?.(summary);
  };

  const stream = typeof source === 'string' ? createReadStream(source) : source;
  const input = createInterface({ input: stream.setEncoding('utf8'), crlfDelay: Infinity });
  for await (const text of input) {
    summary.lines += 1;
    if (text.trim() === '') continue;
    const parsed = parseLine(text, schema);
    if ('problem' in parsed) {
      summary.problems.push({ line: summary.lines, message: parsed.problem });
      continue;
    }
    batch.push(parsed.line);
    if (batch.length >= options.batchSize) await flush();
  }
  await flush();
  return summary;
}

function parseLine(text: string, schema: ReturnType<typeof importLineSchema>): { line: ImportLine } | { problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { problem: `not valid JSON (${(error as Error).message})` };
  }
  const result = schema.safeParse(json);
  if (result.success) return { line: result.data };
  return { problem: describeZodError(result.error) };
}

async function writeBatch(
  repositories: RepositorySet,
  lines: ImportLine[],
  userIds: Map<string, string>,
  summary: ImportSummary,
): Promise<void> {
  await repositories.transaction(async (trx) => {
    const groups = new Map<string, ImportLine[]>();
    for (const line of lines) {
      const key = `${line.user}\u0000${line.source ?? DEFAULT_SOURCE}`;
      const group = groups.get(key);
      if (group) group.push(line);
      else groups.set(key, [line]);
    }
    // Adding memories locks the user's row: taking users in one order means two imports of files
    // that share users wait for each other instead of deadlocking.
    const ordered = [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [, group] of ordered) {
      const { user: externalId, source = DEFAULT_SOURCE } = group[0]!;
      let userId = userIds.get(externalId);
      if (!userId) {
        const existing = await trx.users.findByExternalId(externalId);
        const user = existing ?? (await trx.users.getOrCreate(externalId));
        if (!existing) summary.usersCreated += 1;
        summary.usersSeen += 1;
        userId = user.id;
        userIds.set(externalId, userId);
      }
      const result = await addMemories(trx, userId, group, source);
      summary.added += result.added.length;
      summary.duplicates += result.duplicates;
    }
  });
}
