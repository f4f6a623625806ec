import type { IndexedMemory, MemoryIndex } from './memory-index.js';

/** The memories to attach to a conversation's context for the user's first message, best first. */
export function selectContextMemories<M extends IndexedMemory>(index: MemoryIndex<M>, message: string, limit: number): M[] {
  return index.search(message, limit);
}
