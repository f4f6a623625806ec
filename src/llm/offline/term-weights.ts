import type { PreparedMemory } from './prepared-memory.js';

/**
 * How much information each term carries for this user, from the user's own memories (an IDF):
 * the user's name, said in nearly every memory, weighs almost nothing; a word said once weighs most.
 */
export function termWeights(memories: readonly PreparedMemory[]): Map<string, number> {
  const documentFrequency = new Map<string, number>();
  for (const memory of memories) {
    for (const term of memory.terms) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
  }
  const weights = new Map<string, number>();
  for (const [term, frequency] of documentFrequency) {
    weights.set(term, Math.log((memories.length + 1) / frequency));
  }
  return weights;
}
