import { countWords } from './count-words.js';
import type { ExtractiveText } from './extractive-text.js';
import type { PreparedMemory } from './prepared-memory.js';
import { renderNarrative } from './render-narrative.js';
import { selectNarrativeMemories } from './select-narrative-memories.js';
import { DEFAULT_SELECTION_TUNING, type SelectionTuning } from './selection-tuning.js';

const ATTEMPTS = 6;

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
  for (let attempt = 0; attempt < ATTEMPTS && sentenceBudget > 0; attempt += 1) {
    const choices = selectNarrativeMemories(memories, sentenceBudget, tuning);
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
