import { CoverageSelection } from '../../text/coverage-selection.js';
import { termWeights } from '../../text/information-coverage.js';
import type { SectionId } from './narrative-sections.js';
import type { PreparedMemory } from './prepared-memory.js';

const THEMATIC_ORDER = ['identity', 'people', 'work', 'interests', 'goals'] as const;
const DAY_MS = 86_400_000;

/** The few numbers that shape which memories a narrative keeps; all of them are independent of any user. */
export interface SelectionTuning {
  /** Share of the budget first spent on the latest events. */
  recentShare: number;
  /** How far back from the newest memory "latest" reaches. */
  recentDays: number;
  /** Extra gain for a memory from a day not represented yet: a life is spread over time. */
  newDayGain: number;
  /** Gain is divided by words to this power: 1 favours short dense sentences, 0 ignores length. */
  costExponent: number;
  /** Words a date prefix ("In May 2023,") costs a latest event that does not say its own date. */
  datePrefixWords: number;
  /** Gain multiplier added for a sentence reporting something that happened. */
  eventBonus: number;
  /** Gain multiplier removed for a sentence that is only a remark or an opinion. */
  remarkPenalty: number;
  /** Gain multiplier added for the memory that opens a conversation. */
  openerBonus: number;
}

/**
 * `recentShare`, `recentDays`, `costExponent` and `datePrefixWords` are fixed by what they mean (see
 * scripts/eval/tuning-plan.ts); the day, event, remark and opener terms are what the evaluation's
 * tuning search chooses on all of LoCoMo's conversations at the default 600 words. Folds of six chose
 * them less alike (an event bonus of 1 or 4, an opener bonus of 2 to 8), and measured on the seventh,
 * left out, the event coverage their choices give is within 0.01 of the users they were chosen on
 * (`npm run eval`).
 */
export const DEFAULT_SELECTION_TUNING: SelectionTuning = {
  recentShare: 0.1,
  recentDays: 14,
  newDayGain: 10,
  costExponent: 1,
  datePrefixWords: 3,
  eventBonus: 4,
  remarkPenalty: 0.5,
  openerBonus: 8,
};

/** A memory chosen for the narrative and the section it is written in, in the order it was chosen. */
export interface NarrativeChoice {
  memory: PreparedMemory;
  section: SectionId;
}

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
  const selection = new CoverageSelection<PreparedMemory>({
    weights: termWeights(memories.map((memory) => memory.terms)),
    costOf: (memory) => memory.narrativeWords + (recent.has(memory) && !memory.relativeTime ? tuning.datePrefixWords : 0),
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
  selection.fill([...recent], Math.min(budgetWords, selection.usedCost + budgetWords * tuning.recentShare));
  selection.fill(memories, budgetWords);

  return selection.chosen.map((memory) => ({ memory, section: recent.has(memory) ? 'recent' : memory.section }));
}

/**
 * The user's latest memories: those from the `days` before the newest memory — relative to the
 * newest memory, not to the clock, so that a user who has been quiet for a year still has a latest
 * chapter. When that is most of what the user ever said, nothing stands out as latest: none.
 */
function recentWindow(memories: readonly PreparedMemory[], days: number): PreparedMemory[] {
  if (memories.length === 0) return [];
  const newest = memories.reduce((latest, memory) => Math.max(latest, memory.createdAt.getTime()), Number.NEGATIVE_INFINITY);
  const recent = memories.filter((memory) => memory.createdAt.getTime() > newest - days * DAY_MS);
  return recent.length * 2 > memories.length ? [] : recent;
}
