import { formatMonth, withDatePrefix } from './dated-sentence.js';
import { NARRATIVE_SECTIONS } from './narrative-sections.js';
import { DEFAULT_SELECTION_TUNING, selectNarrativeMemories, type NarrativeChoice, type SelectionTuning } from './narrative-selection.js';
import { countWords, type PreparedMemory } from './prepared-memory.js';

const ATTEMPTS = 6;
const SENTENCES_PER_PARAGRAPH = 4;

/** A text made of memories' own sentences, and the memories it quotes in the order it quotes them. */
export interface ExtractiveText {
  text: string;
  memoryIds: string[];
}

/**
 * Selects and renders a narrative of at most `budgetWords` words, counted over the whole text with
 * its note and headings. Those and the date prefixes are only known once rendered, so the budget for
 * sentences is corrected a few times and the fullest text that fits is kept.
 */
export function writeOfflineNarrative(
  memories: readonly PreparedMemory[],
  budgetWords: number,
  tuning: SelectionTuning = DEFAULT_SELECTION_TUNING,
): ExtractiveText {
  let best: ExtractiveText | undefined;
  let bestWords = -1;
  let sentenceBudget = budgetWords;
  // A fragment ("Sailing.") says too little to stand as a sentence of its own.
  const candidates = memories.filter((memory) => !memory.fragment);
  for (let attempt = 0; attempt < ATTEMPTS && sentenceBudget > 0; attempt += 1) {
    const choices = selectNarrativeMemories(candidates, sentenceBudget, tuning);
    let narrative = renderNarrative(choices, memories.length);
    let words = countWords(narrative.text);
    const overshoot = words - budgetWords;
    while (words > budgetWords && choices.length > 0) {
      choices.pop();
      narrative = renderNarrative(choices, memories.length);
      words = countWords(narrative.text);
    }
    if (words > bestWords) {
      best = narrative;
      bestWords = words;
    }
    if (overshoot === 0) break;
    sentenceBudget -= overshoot;
  }
  return best ?? renderNarrative([], memories.length);
}

/**
 * The narrative as Markdown: a one-line note saying how it was made, then each section that has
 * something to say under its heading, its sentences in the order they happened. A sentence that
 * speaks of relative time ("last week") says its own date; other latest events are given the month
 * they were said when it is not the month stated just before.
 */
function renderNarrative(choices: readonly NarrativeChoice[], memoryCount: number): ExtractiveText {
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
function paragraphs(memories: readonly PreparedMemory[], latestEvents: boolean): string[] {
  const count = Math.ceil(memories.length / SENTENCES_PER_PARAGRAPH);
  const result: string[] = [];
  let monthStated = '';
  for (let paragraph = 0; paragraph < count; paragraph += 1) {
    const start = Math.round((paragraph * memories.length) / count);
    const end = Math.round(((paragraph + 1) * memories.length) / count);
    const sentences = memories.slice(start, end).map((memory) => {
      if (memory.relativeTime) return memory.narrativeSentence;
      const month = formatMonth(memory.createdAt);
      if (latestEvents && month !== monthStated) {
        monthStated = month;
        return withDatePrefix(memory.sentence, memory.createdAt);
      }
      return memory.sentence;
    });
    result.push(sentences.join(' '));
  }
  return result;
}
