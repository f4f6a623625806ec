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
}

// Object headers, dates, ids and the index's postings and word-pair keys per memory, beyond its text (measured: ~750 bytes).
const BYTES_PER_MEMORY = 1_000;

/**
 * Reads a user's narrative and live memories (the newest `maxMemories`) and indexes them. One
 * memory beyond the limit is read to tell whether they are all held; only then are they counted.
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
  for (const memory of memories) bytes += (memory.content.length + JSON.stringify(memory.metadata).length) * 2 + BYTES_PER_MEMORY;
  return {
    narrative: narrative ?? null,
    memories,
    memoryCount,
    index: MemoryIndex.build(memories),
    complete,
    bytes,
  };
}
