import { cachedStemWord } from './cached-stem-word.js';
import { contentWords } from './content-words.js';

/** The distinct stemmed content words of a text: what it is about, for weighing, matching and de-duplication. */
export function contentTerms(text: string): Set<string> {
  const terms = new Set<string>();
  for (const word of contentWords(text)) terms.add(cachedStemWord(word));
  return terms;
}
