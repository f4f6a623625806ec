import { cachedStemWord } from '../text/cached-stem-word.js';

/** A question about when something happened or for how long ("When did…", "How long has…", "What year…"). */
const WHEN_QUESTION = /^\s*when\b|\bhow long\b|\bwhat (year|month|day|date)\b/i;

export function asksWhen(query: string): boolean {
  return WHEN_QUESTION.test(query);
}

/**
 * The stems of words that place what a memory tells in time ("last Friday", "two years ago", "since
 * May"); a memory with one, or with a year, can answer "when".
 */
export const TIME_STEMS: ReadonlySet<string> = new Set(
  `yesterday today tonight week weeks weekend month months year years ago last recently since monday tuesday wednesday
  thursday friday saturday sunday january february march april may june july august september october november december`
    .split(/\s+/)
    .filter(Boolean)
    .map(cachedStemWord),
);
