import { CONVERSATION_GAP_MS } from '../memories/conversation-gap.js';
import { contentTerms } from '../text/content-terms.js';
import { selectByCoverage } from '../text/coverage-selection.js';
import { termWeights } from '../text/information-coverage.js';
import type { IndexedMemory, MemoryIndex } from './memory-index.js';

/** Chosen memories by index and limit: they depend on the memories alone, and an index never changes. */
const chosenByIndex = new WeakMap<object, { limit: number; chosen: readonly IndexedMemory[] }>();

/**
 * The user's most recent and most significant memories, newest first: from their latest
 * conversations (memories less than `CONVERSATION_GAP_MS` apart), as many whole conversations as
 * hold `limit` memories, the ones that together carry the most distinct information, weighed over
 * all the user's memories; a near-duplicate, or a memory that says nothing new, gives its place
 * to the conversation before.
 */
export function recentMemories<M extends IndexedMemory>(index: MemoryIndex<M>, limit: number): M[] {
  if (limit <= 0 || index.size === 0) return [];
  const cached = chosenByIndex.get(index);
  if (cached?.limit === limit) return [...cached.chosen] as M[];
  const newestFirst = [...index.memories].sort((a, b) => b.created_at.getTime() - a.created_at.getTime() || compareIds(a, b));
  const terms = new Map(newestFirst.map((memory) => [memory, contentTerms(memory.content)]));
  const weights = termWeights([...terms.values()]);
  let poolSize = 0;
  let chosen: M[] = [];
  while (chosen.length < limit && poolSize < newestFirst.length) {
    poolSize = endOfConversation(newestFirst, Math.max(poolSize + 1, limit));
    chosen = selectByCoverage(newestFirst.slice(0, poolSize), (memory) => terms.get(memory)!, weights, limit);
  }
  const picked = new Set(chosen);
  const answer = newestFirst.filter((memory) => picked.has(memory));
  chosenByIndex.set(index, { limit, chosen: answer });
  return [...answer];
}

/** The size of the newest-first prefix that holds at least `atLeast` memories and ends with a whole conversation. */
function endOfConversation(newestFirst: readonly IndexedMemory[], atLeast: number): number {
  let end = Math.min(atLeast, newestFirst.length);
  while (end < newestFirst.length && newestFirst[end - 1]!.created_at.getTime() - newestFirst[end]!.created_at.getTime() < CONVERSATION_GAP_MS) {
    end += 1;
  }
  return end;
}

function compareIds(a: IndexedMemory, b: IndexedMemory): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
