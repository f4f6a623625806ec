import type { PreparedMemory } from './prepared-memory.js';

const K1 = 1.2;
const B = 0.75;

/**
 * Okapi BM25 of each memory against the query's terms, over the user's own memories; only memories
 * sharing a term with the query are returned, best first, newer first on a tie.
 */
export function rankByBm25(
  memories: readonly PreparedMemory[],
  query: ReadonlySet<string>,
): { memory: PreparedMemory; score: number }[] {
  if (memories.length === 0 || query.size === 0) return [];
  const averageLength = memories.reduce((sum, memory) => sum + memory.terms.size, 0) / memories.length || 1;
  const idf = new Map<string, number>();
  for (const term of query) {
    const frequency = memories.filter((memory) => memory.terms.has(term)).length;
    idf.set(term, Math.log(1 + (memories.length - frequency + 0.5) / (frequency + 0.5)));
  }
  const norm = (memory: PreparedMemory) => K1 * (1 - B + (B * memory.terms.size) / averageLength);
  return memories
    .map((memory) => {
      let score = 0;
      for (const term of query) {
        if (memory.terms.has(term)) score += ((idf.get(term) ?? 0) * (K1 + 1)) / (1 + norm(memory));
      }
      return { memory, score };
    })
    .filter(({ score }) => score > 0)
    .sort((a, b) => b.score - a.score || b.memory.index - a.memory.index);
}
