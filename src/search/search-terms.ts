import { contentWords } from '../text/content-words.js';
import { stemWord } from '../text/stem-word.js';

/** Stems already computed: people reuse their words, and every conversation start analyses a query. */
const stems = new Map<string, string>();
const MAX_CACHED_STEMS = 100_000;

/** The stemmed content words of a text, in order, repeats kept (BM25 counts them; adjacent ones make pairs). */
export function searchTerms(text: string): string[] {
  return contentWords(text).map(cachedStem);
}

function cachedStem(word: string): string {
  let stem = stems.get(word);
  if (stem === undefined) {
    if (stems.size >= MAX_CACHED_STEMS) stems.clear();
    stem = stemWord(word);
    stems.set(word, stem);
  }
  return stem;
}
