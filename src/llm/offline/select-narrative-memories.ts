import { CoverageSelection } from './coverage-selection.js';
import type { NarrativeChoice } from './narrative-choice.js';
import type { PreparedMemory } from './prepared-memory.js';
import { recentWindow } from './recent-window.js';
import { DEFAULT_SELECTION_TUNING, type SelectionTuning } from './selection-tuning.js';
import { termWeights } from './term-weights.js';

const THEMATIC_ORDER = ['identity', 'people', 'work', 'interests', 'goals'] as const;

/**
 * Chooses the memories of a narrative within `budgetWords` of sentences: first the most informative
 * memory of each theme, so that every kind of fact the user shared has a voice, then the latest
 * events up to their share, then whatever adds the most information until the budget is spent.
 * A chosen memory from the latest days is written under "Latest events", any other under its theme.
 */
export function selectNarrativeMemories(
  memories: readonly PreparedMemory[],
  budgetWords: number,
  tuning: SelectionTuning = DEFAULT_SELECTION_TUNING,
): NarrativeChoice[] {
  const recent = new Set(recentWindow(memories, tuning.recentDays));
  const older = memories.filter((memory) => !recent.has(memory));
  const selection = new CoverageSelection({
    weights: termWeights(memories),
    costOf: (memory) => memory.words + (memory.relativeTime || recent.has(memory) ? tuning.datePrefixWords : 0),
    newDayGain: tuning.newDayGain,
    costExponent: tuning.costExponent,
    salienceOf: (memory) =>
      1 +
      (memory.kind === 'event' ? tuning.eventBonus : 0) -
      (memory.kind === 'remark' ? tuning.remarkPenalty : 0) +
      (memory.opensConversation ? tuning.openerBonus : 0),
  });

  for (const section of THEMATIC_ORDER) {
    selection.fill(older.filter((memory) => memory.section === section), budgetWords, 1);
  }
  selection.fill([...recent], Math.min(budgetWords, selection.usedWords + budgetWords * tuning.recentShare));
  selection.fill(memories, budgetWords);

  return selection.chosen.map((memory) => ({ memory, section: recent.has(memory) ? 'recent' : memory.section }));
}
