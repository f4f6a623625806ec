import { unsupportedSentences } from './faithfulness.js';
import { measuredUserNames } from './measured-user-names.js';
import { narrativeSentences } from './narrative-sentences.js';
import { readabilityViolations, type ReadabilityProblem, type ReadabilityViolation } from './readability.js';

/** A narrative as a reader would judge it: what no memory supports, and what reads wrong. */
export interface ReadingOutcome {
  sentences: number;
  /** Sentences no single memory of the user supports (see `isSupported`). */
  unsupported: string[];
  violations: ReadabilityViolation[];
}

/** Measures one narrative against the memories of its user; needs no LLM. */
export function measureReading(narrative: string, memories: readonly string[], displayName: string | null = null): ReadingOutcome {
  const names = measuredUserNames(memories, displayName);
  const sentences = narrativeSentences(narrative);
  return {
    sentences: sentences.length,
    unsupported: unsupportedSentences(sentences, memories, names),
    violations: readabilityViolations(sentences, names),
  };
}

/** Violations summed over users: the figure whose target is 0. */
export function readingTotals(outcomes: readonly (ReadingOutcome | null)[]): { sentences: number; unsupported: number } & Record<ReadabilityProblem, number> {
  const totals = { sentences: 0, unsupported: 0, dangling_time: 0, fragment: 0, first_person: 0 };
  for (const outcome of outcomes) {
    if (!outcome) continue;
    totals.sentences += outcome.sentences;
    totals.unsupported += outcome.unsupported.length;
    for (const violation of outcome.violations) totals[violation.problem] += 1;
  }
  return totals;
}

/** The totals as lines of the eval report. */
export function formatReadingTotals(outcomes: readonly (ReadingOutcome | null)[]): string[] {
  const totals = readingTotals(outcomes);
  const rows: [string, number][] = [
    ['faithfulness: sentences no memory supports', totals.unsupported],
    ['readability: dangling relative time', totals.dangling_time],
    ['readability: fragments under four words', totals.fragment],
    ['readability: first person in the narrative’s voice', totals.first_person],
  ];
  return [
    `Narrative as a reader would judge it: violations over ${outcomes.filter(Boolean).length} narratives, ${totals.sentences} sentences (target 0)`,
    ...rows.map(([name, count]) => `${name.padEnd(52)}${String(count).padStart(5)}`),
  ];
}

/** A user's violations, one line each, for `--show`. */
export function formatReadingExamples(outcome: ReadingOutcome | null): string[] {
  if (!outcome) return [];
  return [
    ...outcome.unsupported.map((sentence) => `  unsupported: ${sentence}`),
    ...outcome.violations.map((violation) => `  ${violation.problem}: ${violation.sentence}`),
  ];
}

/** The outcome as counts, without the sentences (which are the dataset's text). */
export function readingCounts(outcome: ReadingOutcome): { sentences: number; unsupported: number } & Record<ReadabilityProblem, number> {
  return readingTotals([outcome]);
}
