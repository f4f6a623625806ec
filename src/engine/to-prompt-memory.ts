import type { MemoryRow } from '../db/database-schema.js';
import type { PromptMemory } from '../llm/llm-provider.js';

export function toPromptMemory(memory: Pick<MemoryRow, 'id' | 'content' | 'created_at'>): PromptMemory {
  return { id: memory.id, content: memory.content, createdAt: memory.created_at };
}
