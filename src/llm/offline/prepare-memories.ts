import { CONVERSATION_GAP_MS } from '../../memories/conversation-gap.js';
import type { PromptMemory } from '../llm-provider.js';
import { asSentence } from './as-sentence.js';
import { classifyMemory } from './classify-memory.js';
import { contentTerms } from '../../text/content-terms.js';
import { countWords } from './count-words.js';
import { mentionsRelativeTime } from './mentions-relative-time.js';
import type { PreparedMemory } from './prepared-memory.js';
import { statementKind } from './statement-kind.js';

/**
 * Turns the request's memories into sentences ready for selection, oldest first; blank memories are
 * left out. Ordered by time, then id, then text, so the output never depends on the request's order.
 */
export function prepareMemories(memories: readonly PromptMemory[]): PreparedMemory[] {
  const usable = memories
    .map((memory) => ({ memory, sentence: asSentence(memory.content) }))
    .filter(({ sentence }) => sentence.length > 0)
    .sort(
      (a, b) =>
        a.memory.createdAt.getTime() - b.memory.createdAt.getTime() ||
        compareText(a.memory.id, b.memory.id) ||
        compareText(a.sentence, b.sentence),
    );
  return usable.map(({ memory, sentence }, index) => {
    const previous = usable[index - 1]?.memory.createdAt.getTime();
    return {
      id: memory.id,
      index,
      sentence,
      createdAt: memory.createdAt,
      terms: contentTerms(sentence),
      words: countWords(sentence),
      section: classifyMemory(sentence),
      relativeTime: mentionsRelativeTime(sentence),
      kind: statementKind(sentence),
      opensConversation: previous === undefined || memory.createdAt.getTime() - previous >= CONVERSATION_GAP_MS,
    };
  });
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
