import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Clock } from '../clock/clock.js';
import { systemClock } from '../clock/system-clock.js';
import { importLineSchema, NARRATIVE_LINE_KIND, narrativeLineSchema, type ImportLine, type NarrativeLine } from '../memories/import-line.js';
import { isExpired, resolveExpiry } from '../memories/memory-expiry.js';
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
  /** Lines whose `expires_at` had already passed: skipped, as memories already forgotten. */
  expired: number;
  /** Narrative lines stored as the user's narrative, with their version and date. */
  narrativesRestored: number;
  /** Narrative lines skipped: the user has a narrative already, or a memory it was built from is not among the user's. */
  narrativesSkipped: number;
  usersCreated: number;
  usersSeen: number;
  problems: ImportProblem[];
}

export interface ImportOptions {
  maxChars: number;
  batchSize: number;
  onBatch?: (summary: Readonly<ImportSummary>) => void;
  /** Where `ttl_days` count from and what has expired is judged on (default: the system's). */
  clock?: Clock;
}

/** A line ready to be stored: its expiry resolved to a moment (or none). */
type ResolvedLine = Omit<ImportLine, 'ttl_days'>;

const DEFAULT_SOURCE = 'import';

/**
 * Imports JSON Lines of memories, from a file's path or a stream (standard input). Each batch is written in one transaction; a bad line
 * is reported with its number and skipped whole; text a user already has is not added again,
 * so importing the same file twice changes nothing.
 */
export async function importMemories(repositories: RepositorySet, source: string | Readable, options: ImportOptions): Promise<ImportSummary> {
  const schema = importLineSchema(options.maxChars);
  const summary: ImportSummary = {
    lines: 0,
    added: 0,
    duplicates: 0,
    expired: 0,
    narrativesRestored: 0,
    narrativesSkipped: 0,
    usersCreated: 0,
    usersSeen: 0,
    problems: [],
  };
  const clock = options.clock ?? systemClock;
  const userIds = new Map<string, string>();
  let batch: ResolvedLine[] = [];

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
    const parsed = parseLine(text, schema, clock.now());
    if ('problem' in parsed) {
      summary.problems.push({ line: summary.lines, message: parsed.problem });
      continue;
    }
    if ('narrative' in parsed) {
      // The memories it was built from come before it: they are stored first.
      await flush();
      const restored = await repositories.transaction((trx) => restoreNarrative(trx, parsed.narrative, userIds, summary, clock.now()));
      summary[restored ? 'narrativesRestored' : 'narrativesSkipped'] += 1;
      continue;
    }
    if (parsed.line === 'expired') {
      summary.expired += 1;
      continue;
    }
    batch.push(parsed.line);
    if (batch.length >= options.batchSize) await flush();
  }
  await flush();
  return summary;
}

/**
 * The line, with `ttl_days` counted from `now`; `expired` for a line whose `expires_at` has passed
 * (an export's memory that expired before it was imported is not an error), or what is wrong.
 */
function parseLine(
  text: string,
  schema: ReturnType<typeof importLineSchema>,
  now: number,
): { line: ResolvedLine | 'expired' } | { narrative: NarrativeLine } | { problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { problem: `not valid JSON (${(error as Error).message})` };
  }
  if (json !== null && typeof json === 'object' && 'kind' in json) {
    if (json.kind !== NARRATIVE_LINE_KIND) return { problem: `kind must be "${NARRATIVE_LINE_KIND}" or absent (a memory)` };
    const narrative = narrativeLineSchema.safeParse(json);
    return narrative.success ? { narrative: narrative.data } : { problem: describeZodError(narrative.error) };
  }
  const result = schema.safeParse(json);
  if (!result.success) return { problem: describeZodError(result.error) };
  const { ttl_days, expires_at, ...line } = result.data;
  if (ttl_days === undefined && expires_at !== undefined && isExpired(expires_at, now)) return { line: 'expired' };
  const expiry = resolveExpiry({ expires_at, ttl_days }, now);
  if ('problem' in expiry) return { problem: expiry.problem };
  return { line: expiry.expiresAt === null ? line : { ...line, expires_at: expiry.expiresAt } };
}

/**
 * Stores an exported narrative as the user's, with its version and date, when the user has none
 * and every memory it was built from (by text) is a live memory of the user; returns whether it did.
 */
async function restoreNarrative(
  repositories: RepositorySet,
  line: NarrativeLine,
  userIds: Map<string, string>,
  summary: ImportSummary,
  now: number,
): Promise<boolean> {
  const userId = await userIdOf(repositories, line.user, userIds, summary);
  const hashes = new Set(line.built_from);
  const sources = await repositories.memories.liveWithHashes(userId, [...hashes]);
  if (sources.length !== hashes.size) return false;
  const stats = await repositories.memories.stats(userId);
  let sourceMaxSeq = 0n;
  let sourceExpiresAt: Date | null = null;
  for (const source of sources) {
    if (BigInt(source.seq) > sourceMaxSeq) sourceMaxSeq = BigInt(source.seq);
    if (source.expires_at && (sourceExpiresAt === null || source.expires_at < sourceExpiresAt)) sourceExpiresAt = source.expires_at;
  }
  return repositories.narratives.restore(userId, {
    content: line.narrative,
    version: line.version,
    provider: line.provider,
    model: line.model,
    generatedAt: line.generated_at,
    memoryCount: stats.count,
    newestMemoryAt: stats.newestAt,
    sourceMemoryIds: sources.map((source) => source.id),
    sourceMaxSeq: String(sourceMaxSeq),
    sourceExpiresAt,
    restoredAt: new Date(now),
  });
}

/** The user's id, created when new and remembered for the rest of the import. */
async function userIdOf(repositories: RepositorySet, externalId: string, userIds: Map<string, string>, summary: ImportSummary): Promise<string> {
  const known = userIds.get(externalId);
  if (known) return known;
  const existing = await repositories.users.findByExternalId(externalId);
  const user = existing ?? (await repositories.users.getOrCreate(externalId));
  if (!existing) summary.usersCreated += 1;
  summary.usersSeen += 1;
  userIds.set(externalId, user.id);
  return user.id;
}

async function writeBatch(
  repositories: RepositorySet,
  lines: ResolvedLine[],
  userIds: Map<string, string>,
  summary: ImportSummary,
): Promise<void> {
  await repositories.transaction(async (trx) => {
    const groups = new Map<string, ResolvedLine[]>();
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
      const userId = await userIdOf(trx, externalId, userIds, summary);
      const result = await addMemories(trx, userId, group, source);
      summary.added += result.added.length;
      summary.duplicates += result.duplicates;
    }
  });
}
