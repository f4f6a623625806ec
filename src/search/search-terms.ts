import { cachedStemWord } from '../text/cached-stem-word.js';
import { contentWords } from '../text/content-words.js';

/** The stemmed content words of a text, in order, repeats kept (BM25 counts them; adjacent ones make pairs). */
export function searchTerms(text: string): string[] {
  const words = contentWords(text);
  for (let i = 0; i < words.length; i += 1) words[i] = cachedStemWord(words[i]!);
  return words;
}
