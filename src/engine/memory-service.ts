import type { Config } from '../config/config.js';
import type { MemoryRow } from '../db/database-schema.js';
import type { MemoryInput } from '../memories/memory-input.js';
import type { AddMemoriesResult, MemoryRepository, ScoredMemory } from '../repositories/memory-repository.js';

export interface AddedMemories extends AddMemoriesResult {
  totalMemories: number;
}

/** What a user can do with their memories, whichever surface asks. */
export class MemoryService {
  constructor(
    private readonly memories: MemoryRepository,
    private readonly config: Pick<Config, 'MAX_MEMORY_CHARS'>,
  ) {}

  get maxMemoryChars(): number {
    return this.config.MAX_MEMORY_CHARS;
  }

  async add(userId: string, inputs: readonly MemoryInput[], source: string): Promise<AddedMemories> {
    const result = await this.memories.addMany(userId, inputs, source);
    return { ...result, totalMemories: await this.memories.count(userId) };
  }

  search(userId: string, query: string, limit: number): Promise<ScoredMemory[]> {
    return this.memories.search(userId, query, limit);
  }

  recent(userId: string, limit: number): Promise<MemoryRow[]> {
    return this.memories.recent(userId, { limit });
  }
}
