import { stemWord } from './stem-word.js';

/** Stems already computed: people reuse their words, and every conversation start analyses a query. */
const stems = new Map<string, string>();
const MAX_CACHED_STEMS = 100_000;

/** `stemWord`, remembered: the same few thousand words come back in every memory and query. */
export function cachedStemWord(word: string): string {
  let stem = stems.get(word);
  if (stem === undefined) {
    if (stems.size >= MAX_CACHED_STEMS) stems.clear();
    stem = stemWord(word);
    stems.set(word, stem);
  }
  return stem;
}
