import type { Clock } from '../clock/clock.js';
import type { MemoryRow } from '../db/database-schema.js';
import { UserFacingError } from '../errors/user-facing-error.js';
import type { MemoryInput } from '../memories/memory-input.js';
import type { AddMemoriesResult, ScoredMemory } from '../repositories/memory-repository.js';
import type { RepositorySet } from '../repositories/repository-set.js';
import type { HotTier } from './hot-tier.js';
import type { NarrativeJobRunner } from './narrative-job-runner.js';

export interface AddedMemories extends AddMemoriesResult {
  totalMemories: number;
}

export interface MemoryPage {
  memories: MemoryRow[];
  /** Pass back to get the next page; null on the last one. */
  nextCursor: string | null;
}

export interface DeletedMemories {
  deleted: string[];
  notFound: string[];
  narrativeInvalidated: boolean;
}

/** What a user can do with their memories, whichever surface asks. */
export class MemoryService {
  constructor(
    private readonly deps: {
      repositories: RepositorySet;
      tier: HotTier;
      runner: NarrativeJobRunner;
      clock: Clock;
      maxMemoryChars: number;
    },
  ) {}

  get maxMemoryChars(): number {
    return this.deps.maxMemoryChars;
  }

  /** Stores memories and counts them against the narrative's freshness, in one transaction. */
  async add(userId: string, inputs: readonly MemoryInput[], source: string): Promise<AddedMemories> {
    try {
      return await this.deps.repositories.transaction(async (trx) => {
        const result = await addMemories(trx, userId, inputs, source);
        return { ...result, totalMemories: await trx.memories.count(userId) };
      });
    } finally {
      this.deps.tier.invalidate(userId);
    }
  }

  /**
   * The user's memories most relevant to the query, best first, ranked in process (so every
   * database ranks alike); a user with more memories than the tier holds is searched in SQL.
   */
  async search(userId: string, query: string, limit: number): Promise<ScoredMemory[]> {
    const user = await this.deps.tier.get(userId);
    // PostgreSQL refuses NUL in text; in process it only parts words, as a space does.
    if (!user.complete) return this.deps.repositories.memories.search(userId, query.replaceAll('\u0000', ' '), limit);
    return user.index.rank(query, limit).map(({ memory, score }) => ({ ...memory, score }));
  }

  async list(userId: string, limit: number, cursor?: string): Promise<MemoryPage> {
    const before = cursor === undefined ? undefined : decodeCursor(cursor);
    const memories = await this.deps.repositories.memories.recent(userId, { limit: limit + 1, ...(before ? { before } : {}) });
    const page = memories.slice(0, limit);
    const last = page.at(-1);
    return { memories: page, nextCursor: memories.length > limit && last ? encodeCursor(last) : null };
  }

  /**
   * Forgets memories. When the narrative was built from any of them it is marked stale at once
   * and rewritten in the background, so the forgotten fact leaves it.
   */
  async delete(userId: string, ids: readonly string[]): Promise<DeletedMemories> {
    const unique = [...new Set(ids)];
    const now = new Date(this.deps.clock.now());
    const result = await this.deps.repositories
      .transaction(async (trx) => {
        const deleted = await trx.memories.softDelete(userId, unique);
        const narrativeInvalidated = await trx.narratives.invalidateIfBuiltFrom(userId, deleted, 'memory_deleted', now);
        return { deleted, narrativeInvalidated };
      })
      .finally(() => this.deps.tier.invalidate(userId));
    if (result.narrativeInvalidated) this.deps.runner.request(userId, 'manual');
    const deletedSet = new Set(result.deleted);
    return { ...result, notFound: unique.filter((id) => !deletedSet.has(id)) };
  }
}

/** Inserts memories and notes them on the user's narrative; call inside a transaction. */
export async function addMemories(
  repositories: RepositorySet,
  userId: string,
  inputs: readonly MemoryInput[],
  source: string,
): Promise<AddMemoriesResult> {
  const result = await repositories.memories.addMany(userId, inputs, source);
  await repositories.narratives.noteNewMemories(userId, result.added.length);
  return result;
}

/** A UUID as the database writes it: a cursor with any other id is refused here instead of failing in SQL. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function encodeCursor(memory: MemoryRow): string {
  return Buffer.from(JSON.stringify([memory.created_at.toISOString(), memory.id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(createdAt);
    // Years outside 1-9999 are valid in JavaScript but not storable (nor returned) by PostgreSQL.
    if (typeof id !== 'string' || !UUID.test(id) || !(date.getUTCFullYear() >= 1 && date.getUTCFullYear() <= 9999)) {
      throw new Error('bad cursor');
    }
    return { createdAt: date, id };
  } catch {
    throw new UserFacingError('cursor is not one this server returned; start again without a cursor');
  }
}
