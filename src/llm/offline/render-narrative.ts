import type { ExtractiveText } from './extractive-text.js';
import { formatMonth } from './format-month.js';
import type { NarrativeChoice } from './narrative-choice.js';
import { NARRATIVE_SECTIONS } from './narrative-sections.js';
import type { PreparedMemory } from './prepared-memory.js';
import { withDatePrefix } from './with-date-prefix.js';

const SENTENCES_PER_PARAGRAPH = 4;

/**
 * The narrative as Markdown: a one-line note saying how it was made, then each section that has
 * something to say under its heading, its sentences in the order they happened. Latest events are
 * dated; elsewhere a sentence is dated when it speaks of relative time ("last week").
 */
export function renderNarrative(choices: readonly NarrativeChoice[], memoryCount: number): ExtractiveText {
  const blocks = [
    `Selected from ${memoryCount} ${memoryCount === 1 ? 'memory' : 'memories'} without an LLM: an extractive summary in the user's own words.`,
  ];
  const memoryIds: string[] = [];
  for (const { id, heading } of NARRATIVE_SECTIONS) {
    const memories = choices
      .filter((choice) => choice.section === id)
      .map((choice) => choice.memory)
      .sort((a, b) => a.index - b.index);
    if (memories.length === 0) continue;
    blocks.push(`## ${heading}`, ...paragraphs(memories, id === 'recent'));
    memoryIds.push(...memories.map((memory) => memory.id));
  }
  return { text: `${blocks.join('\n\n')}\n`, memoryIds };
}

/** Sentences in paragraphs of about equal length, none longer than `SENTENCES_PER_PARAGRAPH`. */
function paragraphs(memories: readonly PreparedMemory[], alwaysDated: boolean): string[] {
  const count = Math.ceil(memories.length / SENTENCES_PER_PARAGRAPH);
  const result: string[] = [];
  let monthStated = '';
  for (let paragraph = 0; paragraph < count; paragraph += 1) {
    const start = Math.round((paragraph * memories.length) / count);
    const end = Math.round(((paragraph + 1) * memories.length) / count);
    const sentences = memories.slice(start, end).map((memory) => {
      const month = formatMonth(memory.createdAt);
      if ((alwaysDated || memory.relativeTime) && month !== monthStated) {
        monthStated = month;
        return withDatePrefix(memory.sentence, memory.createdAt);
      }
      return memory.sentence;
    });
    result.push(sentences.join(' '));
  }
  return result;
}
