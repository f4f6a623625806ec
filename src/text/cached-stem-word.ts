import { stem } from 'porter2';

/** Stems already computed: people reuse their words, and every conversation start analyses a query. */
const stems = new Map<string, string>();
const MAX_CACHED_STEMS = 100_000;

/**
 * The Snowball English (Porter2) stem of a lower-cased word, remembered: the same few thousand
 * words come back in every memory and query.
 *
 * PostgreSQL's and PGlite's `to_tsvector('english', …)` stem with the same algorithm, but nothing
 * relies on the two agreeing: the in-process index stems memories and queries with this function
 * alone, and the SQL search (`MemoryRepository.search`) stems both sides with `to_tsvector` alone.
 */
export function cachedStemWord(word: string): string {
  let found = stems.get(word);
  if (found === undefined) {
    if (stems.size >= MAX_CACHED_STEMS) stems.clear();
    found = stem(word);
    stems.set(word, found);
  }
  return found;
}
