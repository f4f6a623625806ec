import { countWords } from '../../src/llm/offline/prepared-memory.js';

/**
 * The baseline narrative: the user's newest memories, newest first, as many as fit in `words`
 * words, one after the other.
 */
export function recentMemoriesText(memories: readonly { content: string; createdAt: Date }[], words: number): string {
  const newestFirst = [...memories].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  const taken: string[] = [];
  let used = 0;
  for (const memory of newestFirst) {
    const length = countWords(memory.content);
    if (used + length > words) break;
    taken.push(memory.content);
    used += length;
  }
  return taken.join(' ');
}
