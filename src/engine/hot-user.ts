import type { MemoryRow, NarrativeRow } from '../db/database-schema.js';
import type { RepositorySet } from '../repositories/repository-set.js';
import { MemoryIndex } from '../search/memory-index.js';

/** What a conversation start needs of one user, held in memory so a cache hit reads nothing. */
export interface HotUser {
  readonly narrative: NarrativeRow | null;
  /** The user's live memories, newest first (at most the tier's per-user limit). */
  readonly memories: readonly MemoryRow[];
  /** How many live memories the user has, also beyond the ones held. */
  readonly memoryCount: number;
  readonly index: MemoryIndex<MemoryRow>;
  /** Whether `memories` holds every live memory, so a search of `index` is a search of them all. */
  readonly complete: boolean;
  /** A rough size in bytes, for the tier's memory budget. */
  readonly bytes: number;
  /**
   * When the first of the held memories expires (ms since the epoch; absent when none does): from
   * then on this read is not served, even if nothing was written, so an expired memory is never
   * searched or attached from memory.
   */
  readonly expiresAt?: number;
  /**
   * Told by the tier that this read of the user replaces `previous` (one from before a change):
   * the index may then start from the previous one's instead of reading every memory again.
   */
  follow?(previous: HotUser): void;
}

// Object headers, dates, ids and the index's postings and word-pair keys per memory, beyond its text (measured: ~750 bytes), and its meaning (99 signed bytes padded to 104, and a 4-byte scale; only the newest 1,000 have one, so this overcounts a user with more).
const BYTES_PER_MEMORY = 1_100;

/**
 * Reads a user's narrative and live memories (the newest `maxMemories`). One memory beyond the
 * limit is read to tell whether they are all held; only then are they counted. The index is built
 * when first searched: many reads (a narrative fetched, a read an add soon replaces) never are.
 */
export async function loadHotUser(repositories: RepositorySet, userId: string, maxMemories: number): Promise<HotUser> {
  const [narrative, newest] = await Promise.all([
    repositories.narratives.get(userId),
    repositories.memories.recent(userId, { limit: maxMemories + 1 }),
  ]);
  const complete = newest.length <= maxMemories;
  const memories = complete ? newest : newest.slice(0, maxMemories);
  const memoryCount = complete ? newest.length : await repositories.memories.count(userId);
  let bytes = (narrative?.narrative_content.length ?? 0) * 2 + BYTES_PER_MEMORY;
  let expiresAt = Infinity;
  for (const memory of memories) {
    bytes += (memory.content.length + JSON.stringify(memory.metadata).length) * 2 + BYTES_PER_MEMORY;
    if (memory.expires_at) expiresAt = Math.min(expiresAt, memory.expires_at.getTime());
  }
  return new IndexedWhenSearched(narrative ?? null, memories, memoryCount, complete, bytes, expiresAt);
}

/** A user read from the database, whose index is built at the first search (from the previous read's when there is one). */
class IndexedWhenSearched implements HotUser {
  #index: MemoryIndex<MemoryRow> | undefined;
  /** An index of an earlier read of the user, to start from; let go once this one's is built. */
  #basis: MemoryIndex<MemoryRow> | undefined;

  constructor(
    readonly narrative: NarrativeRow | null,
    readonly memories: readonly MemoryRow[],
    readonly memoryCount: number,
    readonly complete: boolean,
    readonly bytes: number,
    readonly expiresAt: number,
  ) {}

  get index(): MemoryIndex<MemoryRow> {
    if (!this.#index) {
      this.#index = this.#basis ? this.#basis.reindex(this.memories) : MemoryIndex.build(this.memories);
      this.#basis = undefined;
    }
    return this.#index;
  }

  follow(previous: HotUser): void {
    if (this.#index) return;
    // An earlier read never searched hands on the index it started from: at most one old index is kept.
    this.#basis = previous instanceof IndexedWhenSearched ? (previous.#index ?? previous.#basis) : previous.index;
  }
}
