import { metricWords } from './metric-words.js';

/**
 * Which of a user's events a text covers: an event is covered when at least half of its distinct
 * content words appear in the text. An event without content words is never covered.
 */
export function eventCoverage(text: string, events: readonly string[]): { covered: number; total: number; share: number } {
  const present = new Set(metricWords(text));
  let covered = 0;
  for (const event of events) {
    const words = [...new Set(metricWords(event))];
    if (words.length > 0 && words.filter((word) => present.has(word)).length * 2 >= words.length) covered += 1;
  }
  return { covered, total: events.length, share: events.length === 0 ? 0 : covered / events.length };
}
